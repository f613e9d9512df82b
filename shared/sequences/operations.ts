import { isInvoiceXpressError, mayHaveBeenApplied } from '../invoicexpress/errors.ts';
import type { InvoiceXpressClient } from '../invoicexpress/types.ts';
import type { Sequence } from './sequence.ts';
import { DefaultNotRestoredError, RegistrationFailedError, SequenceNotRegisteredError } from './errors.ts';
import { registerSafely } from './registration-lease.ts';
import type { RegistrationLease } from './registration-lease.ts';
import type { RegisterOptions } from './registration.ts';

/**
 * The five sequence operations as the API offers them, on top of the InvoiceXpress client.
 * What they add is state checks, so callers can repeat them safely and the default is only ever
 * a registered serie:
 * - create is sent once; when its answer is lost, the state is read to find out what happened.
 *   A default that InvoiceXpress moved to the new serie is put back (createSerieKeepingDefault);
 *   `default: true` creates with default_sequence 0, registers, and only then switches the default;
 * - register is sent at most once, across requests: one registration per sequence holds its lease
 *   (registration-lease.ts) and the others answer its outcome; an unclear answer is settled by
 *   reading the state;
 * - set_current reads the sequence first (no call when already the default, 409 while pending)
 *   and reads it back after acting.
 */

/** Creates the serie (never the default: see createSequence). A lost answer is resolved by listing. */
async function createSerie(client: InvoiceXpressClient, serie: string): Promise<Sequence> {
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

/** A created serie, read back; `restoredDefault` when InvoiceXpress made it the default and the previous one was put back. */
export interface CreatedSerie {
  sequence: Sequence;
  /** True when `sequence` was read with get after the create (false: the create answer's word). */
  read: boolean;
  restoredDefault: Sequence | undefined;
}

/**
 * Creates the serie and keeps the default where it was: InvoiceXpress's web app makes a new serie
 * the default, and whether its API does too is unknown (docs/invoicexpress.md). The new serie is
 * read back; when it is the default, `previousDefault` (the default before the create) is made
 * the default again at once. A failed put-back is DefaultNotRestoredError.
 */
export async function createSerieKeepingDefault(client: InvoiceXpressClient, serie: string, previousDefault: Sequence | undefined): Promise<CreatedSerie> {
  const created = await createSerie(client, serie);
  // The create stands whatever the read says; when the read fails, the create answer is what is known.
  const read = await client.get(created.id).then(
    (sequence) => ({ sequence, read: true }),
    () => ({ sequence: created, read: false }),
  );
  const current = read.sequence;
  if (!current.isDefault || previousDefault === undefined || previousDefault.id === current.id) return { ...read, restoredDefault: undefined };
  await putDefaultBack(client, current, previousDefault);
  return { sequence: { ...current, isDefault: false }, read: read.read, restoredDefault: { ...previousDefault, isDefault: true } };
}

/** set_current of the previous default; an answer that was lost (it may have acted) is settled by reading it. */
async function putDefaultBack(client: InvoiceXpressClient, created: Sequence, previousDefault: Sequence): Promise<void> {
  try {
    await client.setCurrent(previousDefault.id);
  } catch (error) {
    const restored =
      isInvoiceXpressError(error) && mayHaveBeenApplied(error) && (await client.get(previousDefault.id).catch(() => undefined))?.isDefault === true;
    if (!restored) throw new DefaultNotRestoredError(created, previousDefault, error);
  }
}

export async function createSequence(
  client: InvoiceXpressClient,
  input: { serie: string; isDefault: boolean },
  context: RegisterOptions & { lease?: RegistrationLease | undefined },
): Promise<CreatedSerie & { previousDefault: Sequence | undefined }> {
  const previousDefault = (await client.list()).find((sequence) => sequence.isDefault);
  const created = await createSerieKeepingDefault(client, input.serie, previousDefault);
  if (!input.isDefault) return { ...created, previousDefault };
  const registration = await registerSafely(client, created.sequence, context, context.lease);
  if (registration.status !== 'registered') {
    throw new RegistrationFailedError(registration, `it was created (id ${String(created.sequence.id)}) but not made the default`);
  }
  await client.setCurrent(created.sequence.id);
  // Made the default as asked: nothing was put back in the end.
  return { sequence: await client.get(created.sequence.id), read: true, restoredDefault: undefined, previousDefault };
}

/** The registered sequence; `sent`: this request registered it (its event), rather than finding it registered. */
export async function registerSequence(
  client: InvoiceXpressClient,
  id: number,
  context: RegisterOptions & { lease?: RegistrationLease | undefined },
): Promise<{ sequence: Sequence; sent: boolean }> {
  const registration = await registerSafely(client, await client.get(id), context, context.lease);
  if (registration.status === 'registered') return { sequence: registration.sequence, sent: registration.sent };
  throw new RegistrationFailedError(registration);
}

/**
 * The sequence once the default; `switched`: this request moved the default, from
 * `previousDefault` (the list, read beside the get: the serie.activated event names both).
 */
export async function setCurrentSequence(
  client: InvoiceXpressClient,
  id: number,
): Promise<{ sequence: Sequence; switched: boolean; previousDefault: Sequence | undefined }> {
  const [before, listed] = await Promise.all([client.get(id), client.list()]);
  const previousDefault = listed.find((sequence) => sequence.isDefault && sequence.id !== id);
  if (before.isDefault) return { sequence: before, switched: false, previousDefault: undefined };
  if (!before.registered) throw new SequenceNotRegisteredError(id);
  await client.setCurrent(id);
  return { sequence: await client.get(id), switched: true, previousDefault };
}
