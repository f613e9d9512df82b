import { setTimeout as sleep } from 'node:timers/promises';
import { isInvoiceXpressError, mayHaveBeenApplied } from '../invoicexpress/errors.ts';
import type { InvoiceXpressError } from '../invoicexpress/errors.ts';
import type { InvoiceXpressClient } from '../invoicexpress/types.ts';
import type { Deadline } from '../runtime/deadline.ts';
import { pendingTypes, registrationDetail, registrationOf } from './sequence.ts';
import type { Sequence } from './sequence.ts';

/**
 * Registering a serie with AT, safely: the register request is sent at most ONCE (AT is behind it,
 * and a second request can race the first), and whatever is unclear afterwards is settled by
 * reading the sequence, for a bounded time.
 */
export type Registration =
  /** Registered: by this request (`sent`), or already. */
  | { status: 'registered'; sequence: Sequence; sent: boolean; detail: string }
  /**
   * AT refused THIS name (a refusal that names the serie), or registered only some document types
   * (a partially registered serie must never be used): a new serie name is the remedy.
   */
  | { status: 'name_refused'; sequence: Sequence; reason: string; messages: readonly string[] }
  /**
   * Nothing proves the serie registered and nothing says a new name would fare better: an
   * account-wide refusal, an answer never seen before, AT still processing, or an unclear answer.
   * The serie is left as it is; a later read (or run) decides.
   */
  | {
      status: 'not_registered';
      sequence: Sequence;
      why: 'account' | 'unknown' | 'in_progress' | 'unclear';
      reason: string;
      messages: readonly string[];
      /** The register request's own failure, when there was one. */
      error: InvoiceXpressError | undefined;
    };

export interface RegisterOptions {
  deadline: Deadline;
  /** How long to keep reading the sequence after an unclear answer. Default 8 s. */
  settleMs?: number | undefined;
  /** Between reads. Default 1 s. */
  pollMs?: number | undefined;
}

const DEFAULT_SETTLE_MS = 8_000;
const DEFAULT_POLL_MS = 1_000;
/** Time kept for what follows the last read (answering, the next step). */
const SETTLE_RESERVE_MS = 1_000;

/** Some types registered, the others pending: an incomplete answer (a type unknown) proves nothing. */
function isPartlyRegistered(sequence: Sequence): boolean {
  return registrationOf(sequence) === 'pending' && Object.values(sequence.documents).some((document) => document.atcud === 'registered');
}

/** Reads the sequence until AT's codes show, the settle time is over or the deadline is near. */
async function settle(client: InvoiceXpressClient, id: number, options: RegisterOptions): Promise<Sequence> {
  const until = Math.min(Date.now() + (options.settleMs ?? DEFAULT_SETTLE_MS), options.deadline.at - SETTLE_RESERVE_MS);
  for (;;) {
    const sequence = await client.get(id);
    const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    if (sequence.registered || isPartlyRegistered(sequence) || Date.now() + pollMs >= until) return sequence;
    await sleep(pollMs);
  }
}

/** What the state read after the register request says. */
function judge(sequence: Sequence, sent: boolean, unclear: { reason: string; error: InvoiceXpressError | undefined }): Registration {
  if (sequence.registered) {
    return { status: 'registered', sequence, sent, detail: sent ? 'AT gave its codes' : 'already registered with AT' };
  }
  if (isPartlyRegistered(sequence)) {
    const pending = pendingTypes(sequence).join(', ');
    return { status: 'name_refused', sequence, reason: `AT registered it only partly (still pending: ${pending})`, messages: [] };
  }
  return { status: 'not_registered', sequence, why: 'unclear', ...unclear, messages: unclear.error?.messages ?? [] };
}

/**
 * Registers `sequence` with AT unless it already is. Throws only what the caller must map itself
 * (401, 404, 429, a failed read); every AT outcome is a `Registration`.
 */
export async function registerWithAt(client: InvoiceXpressClient, sequence: Sequence, options: RegisterOptions): Promise<Registration> {
  // An answer without document fields proves nothing: read the sequence itself first.
  const current = registrationOf(sequence) === 'unknown' ? await client.get(sequence.id) : sequence;
  if (current.registered) return judge(current, false, { reason: '', error: undefined });
  if (registrationOf(current) === 'unknown') {
    const reason = `${registrationDetail(current)}: its AT status is unknown`;
    return { status: 'not_registered', sequence: current, why: 'unknown', reason, messages: [], error: undefined };
  }
  try {
    await client.register(current.id);
  } catch (error) {
    if (!isInvoiceXpressError(error)) throw error;
    return afterFailedRegister(client, current, error, options);
  }
  const read = await settle(client, current.id, options);
  return judge(read, true, { reason: `register answered OK but AT codes are still pending for ${pendingTypes(read).join(', ')}`, error: undefined });
}

async function afterFailedRegister(
  client: InvoiceXpressClient,
  sequence: Sequence,
  error: InvoiceXpressError,
  options: RegisterOptions,
): Promise<Registration> {
  const said = error.messages.length > 0 ? error.messages.join('; ') : error.message;
  if (error.kind === 'rejected') {
    switch (error.refusal) {
      case 'name_refused':
        return { status: 'name_refused', sequence, reason: `AT refused the serie: ${said}`, messages: error.messages };
      case 'already_registered':
      case 'in_progress': {
        const read = await settle(client, sequence.id, options);
        const why = error.refusal === 'in_progress' ? 'in_progress' : 'unknown';
        if (read.registered || isPartlyRegistered(read)) return judge(read, false, { reason: said, error });
        return {
          status: 'not_registered',
          sequence: read,
          why,
          reason: `InvoiceXpress answered "${said}" but the serie is still pending`,
          messages: error.messages,
          error,
        };
      }
      case 'account':
        return { status: 'not_registered', sequence, why: 'account', reason: `AT refused for the whole account: ${said}`, messages: error.messages, error };
      default:
        return {
          status: 'not_registered',
          sequence,
          why: 'unknown',
          reason: `InvoiceXpress answered an unknown refusal: ${said}`,
          messages: error.messages,
          error,
        };
    }
  }
  if (!mayHaveBeenApplied(error)) throw error;
  // No clear answer: AT may have the request. Read the state instead of sending it again.
  const read = await settle(client, sequence.id, options);
  return judge(read, read.registered, { reason: `the register answer was unclear (${error.kind}) and the serie is still pending`, error });
}
