import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvoiceXpressError } from '../invoicexpress/errors.ts';
import type { InvoiceXpressErrorKind } from '../invoicexpress/errors.ts';
import type { InvoiceXpressClient } from '../invoicexpress/types.ts';
import type { Sequence } from './sequence.ts';
import { RegistrationInProgressError } from './errors.ts';
import { registerWithAt } from './registration.ts';
import type { RegisterOptions, Registration } from './registration.ts';

/**
 * One registration in flight per account and sequence, across callers and containers: a lease
 * in the run table (registration-lease-table.ts), taken by `PUT /sequences/{id}/register`,
 * `POST /sequences` with `default: true` and the rollover's register step. The holder sends the
 * register request (at most once, registration.ts) and leaves its outcome in the lease when it
 * releases it; the others wait for that outcome within their own deadline and answer as it did.
 * A holder that failed before AT answered (a read, a 401) releases without an outcome: then the
 * next caller takes the lease and tries itself. A crashed holder's lease expires.
 */

export interface LeaseKey {
  account: string;
  sequenceId: number;
}

/** Who registers: the route or the rollover. */
type LeaseCaller = 'register' | 'create' | 'rollover';

interface LeaseHolder {
  holderId: string;
  via: LeaseCaller;
  /** ISO time the lease was taken. */
  acquiredAt: string;
}

/** A registration's outcome as the lease keeps it for those waiting (an error by its kind and words). */
export type StoredOutcome =
  | { status: 'registered'; sequence: Sequence }
  | { status: 'name_refused'; sequence: Sequence; reason: string; messages: string[] }
  | {
      status: 'not_registered';
      sequence: Sequence;
      why: Extract<Registration, { status: 'not_registered' }>['why'];
      reason: string;
      messages: string[];
      error?: { kind: InvoiceXpressErrorKind; status?: number | undefined; message: string } | undefined;
    };

export type LeaseState =
  | { state: 'free' }
  | { state: 'held'; holder: LeaseHolder }
  /** Released by `holderId` with its outcome (kept a short while for those waiting). */
  | { state: 'finished'; holderId: string; outcome: StoredOutcome };

export interface RegistrationLeases {
  /** Takes the lease unless another holder's is unexpired; a finished one is free. */
  acquire(key: LeaseKey, holder: LeaseHolder, leaseMs: number): Promise<{ acquired: true } | { acquired: false; current: LeaseState }>;
  read(key: LeaseKey): Promise<LeaseState>;
  /** Ends `holderId`'s lease, leaving `outcome` for those waiting, or nothing (they then try themselves). */
  release(key: LeaseKey, holderId: string, outcome: StoredOutcome | undefined): Promise<void>;
}

export interface RegistrationLease {
  leases: RegistrationLeases;
  /** The InvoiceXpress account: part of the key. */
  account: string;
  via: LeaseCaller;
}

/** The lease outlives the holder's deadline a little: a crashed holder blocks no longer than that. */
const REGISTRATION_LEASE_SLACK_MS = 5_000;
/** Between reads of the lease while another caller registers. */
const LEASE_POLL_MS = 200;
/** Time kept after waiting to answer (409) before the caller's own deadline. */
const WAIT_RESERVE_MS = 1_000;

function stored(registration: Registration): StoredOutcome {
  switch (registration.status) {
    case 'registered':
      return { status: 'registered', sequence: registration.sequence };
    case 'name_refused':
      return { status: 'name_refused', sequence: registration.sequence, reason: registration.reason, messages: [...registration.messages] };
    case 'not_registered': {
      const { error } = registration;
      return {
        status: 'not_registered',
        sequence: registration.sequence,
        why: registration.why,
        reason: registration.reason,
        messages: [...registration.messages],
        error: error === undefined ? undefined : { kind: error.kind, status: error.status, message: error.message },
      };
    }
  }
}

/** The holder's outcome, as this caller's own (nothing was sent by this caller). */
function answerOf(outcome: StoredOutcome): Registration {
  switch (outcome.status) {
    case 'registered':
      return { status: 'registered', sequence: outcome.sequence, sent: false, detail: 'registered with AT by a concurrent request' };
    case 'name_refused':
      return outcome;
    case 'not_registered': {
      const { error, ...rest } = outcome;
      const rebuilt = error === undefined ? undefined : new InvoiceXpressError({ ...error, operation: 'register', messages: outcome.messages });
      return { ...rest, error: rebuilt };
    }
  }
}

/**
 * Registers `sequenceId` with AT unless it already is, holding the lease of the account and
 * sequence; waits for the holder when another caller has it. Throws what registerWithAt throws,
 * and RegistrationInProgressError when this caller's deadline comes before the holder's outcome.
 */
export async function registerOnce(client: InvoiceXpressClient, sequenceId: number, options: RegisterOptions, lease: RegistrationLease): Promise<Registration> {
  const key: LeaseKey = { account: lease.account, sequenceId };
  for (;;) {
    const holder: LeaseHolder = { holderId: randomUUID(), via: lease.via, acquiredAt: new Date().toISOString() };
    const attempt = await lease.leases.acquire(key, holder, options.deadline.remainingMs() + REGISTRATION_LEASE_SLACK_MS);
    if (attempt.acquired) return holdAndRegister(client, key, holder, options, lease.leases);
    const outcome = await waitForOutcome(key, attempt.current, options, lease.leases);
    if (outcome !== undefined) return answerOf(outcome);
    // Released without an outcome, or expired: nothing reached AT for sure; take the lease ourselves
    // (while there is time: a lease that keeps slipping away must not spin past the deadline).
    if (options.deadline.expired(WAIT_RESERVE_MS)) throw new RegistrationInProgressError(sequenceId, holder);
    await sleep(LEASE_POLL_MS / 4);
  }
}

async function holdAndRegister(
  client: InvoiceXpressClient,
  key: LeaseKey,
  holder: LeaseHolder,
  options: RegisterOptions,
  leases: RegistrationLeases,
): Promise<Registration> {
  let outcome: StoredOutcome | undefined;
  try {
    // Read under the lease: a caller that held it just before may have registered it.
    const registration = await registerWithAt(client, await client.get(key.sequenceId), options);
    outcome = stored(registration);
    return registration;
  } finally {
    // A release that fails leaves the lease to expire: the registration itself stands.
    await leases.release(key, holder.holderId, outcome).catch(() => undefined);
  }
}

/** Polls the lease until its holder finishes (its outcome), frees it (undefined), or the deadline nears. */
async function waitForOutcome(key: LeaseKey, first: LeaseState, options: RegisterOptions, leases: RegistrationLeases): Promise<StoredOutcome | undefined> {
  let current = first;
  for (;;) {
    if (current.state === 'finished') return current.outcome;
    if (current.state === 'free') return undefined;
    if (options.deadline.expired(WAIT_RESERVE_MS + LEASE_POLL_MS)) throw new RegistrationInProgressError(key.sequenceId, current.holder);
    await sleep(LEASE_POLL_MS);
    current = await leases.read(key);
  }
}

/** Registers through the lease when there is one, else as one request (the CLI's --no-lock, tests). */
export function registerSafely(
  client: InvoiceXpressClient,
  sequence: Sequence,
  options: RegisterOptions,
  lease: RegistrationLease | undefined,
): Promise<Registration> {
  if (lease === undefined || sequence.registered) return registerWithAt(client, sequence, options);
  return registerOnce(client, sequence.id, options, lease);
}
