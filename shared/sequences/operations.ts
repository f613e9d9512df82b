import { isInvoiceXpressError, mayHaveBeenApplied } from '../invoicexpress/errors.ts';
import type { InvoiceXpressClient } from '../invoicexpress/types.ts';
import type { Sequence } from '../sequence.ts';
import { RegistrationFailedError, SequenceNotRegisteredError } from './errors.ts';
import { registerSafely } from './registration-lease.ts';
import type { RegistrationLease } from './registration-lease.ts';
import type { RegisterOptions } from './registration.ts';

/**
 * The five sequence operations as the API offers them, on top of the InvoiceXpress client.
 * What they add is state checks, so callers can repeat them safely and the default is only ever
 * a registered serie:
 * - create is sent once; when its answer is lost, the state is read to find out what happened.
 *   `default: true` creates with default_sequence 0, registers, and only then switches the default;
 * - register is sent at most once, across requests: one registration per sequence holds its lease
 *   (registration-lease.ts) and the others answer its outcome; an unclear answer is settled by
 *   reading the state;
 * - set_current reads the sequence first (no call when already the default, 409 while pending)
 *   and reads it back after acting.
 */

/** Creates the serie (never the default: see createSequence). A lost answer is resolved by listing. */
export async function createSerie(client: InvoiceXpressClient, serie: string): Promise<Sequence> {
  try {
    return await client.create({ serie, isDefault: false });
  } catch (error) {
    if (!isInvoiceXpressError(error) || !mayHaveBeenApplied(error)) throw error;
    // The POST may have been applied: the state decides, never a second POST.
    const found = (await client.list()).find((sequence) => sequence.serie === serie);
    if (found) return found;
    throw error;
  }
}

export async function createSequence(
  client: InvoiceXpressClient,
  input: { serie: string; isDefault: boolean },
  context: RegisterOptions & { lease?: RegistrationLease | undefined },
): Promise<Sequence> {
  const created = await createSerie(client, input.serie);
  if (!input.isDefault) return created;
  const registration = await registerSafely(client, created, context, context.lease);
  if (registration.status !== 'registered') {
    throw new RegistrationFailedError(registration, `it was created (id ${String(created.id)}) but not made the default`);
  }
  await client.setCurrent(created.id);
  return client.get(created.id);
}

export async function registerSequence(
  client: InvoiceXpressClient,
  id: number,
  context: RegisterOptions & { lease?: RegistrationLease | undefined },
): Promise<Sequence> {
  const registration = await registerSafely(client, await client.get(id), context, context.lease);
  if (registration.status === 'registered') return registration.sequence;
  throw new RegistrationFailedError(registration);
}

export async function setCurrentSequence(client: InvoiceXpressClient, id: number): Promise<Sequence> {
  const before = await client.get(id);
  if (before.isDefault) return before;
  if (!before.registered) throw new SequenceNotRegisteredError(id);
  await client.setCurrent(id);
  return client.get(id);
}
