import { isInvoiceXpressError, mayHaveBeenApplied } from '../invoicexpress/errors.ts';
import type { InvoiceXpressClient } from '../invoicexpress/types.ts';
import type { Sequence } from '../sequence.ts';
import { SequenceNotRegisteredError } from './errors.ts';

/**
 * The five sequence operations as the API offers them, on top of the InvoiceXpress client.
 * What they add is state checks, so callers can repeat them safely:
 * - register and set_current read the sequence first (no call when already done) and read it back
 *   after acting, so the answer shows the validation codes / the new default;
 * - create is sent once; when its answer is lost, the state is read to find out what happened.
 */

export async function createSequence(
  client: InvoiceXpressClient,
  input: { serie: string; isDefault: boolean },
): Promise<Sequence> {
  try {
    return await client.create(input);
  } catch (error) {
    if (!isInvoiceXpressError(error) || !mayHaveBeenApplied(error)) throw error;
    // The POST may have been applied: the state decides, never a second POST.
    const found = (await client.list()).find((sequence) => sequence.serie === input.serie);
    if (found && (!input.isDefault || found.isDefault)) return found;
    throw error;
  }
}

export async function registerSequence(client: InvoiceXpressClient, id: number): Promise<Sequence> {
  const before = await client.get(id);
  if (before.registered) return before;
  try {
    await client.register(id);
  } catch (error) {
    // A concurrent register may have won ("All Sequences are registered"): the state decides.
    if (!isInvoiceXpressError(error) || error.kind !== 'rejected') throw error;
    const now = await client.get(id);
    if (now.registered) return now;
    throw error;
  }
  return client.get(id);
}

export async function setCurrentSequence(client: InvoiceXpressClient, id: number): Promise<Sequence> {
  const before = await client.get(id);
  if (before.isDefault) return before;
  if (!before.registered) {
    throw new SequenceNotRegisteredError(id);
  }
  await client.setCurrent(id);
  return client.get(id);
}
