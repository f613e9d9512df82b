import { RegistryAccountNameSchema } from '../accounts/model.ts';
import { randomSuffix } from '../rollover/run-store.ts';
import { RolloverPhaseSchema } from '../rollover/schemas.ts';
import * as z from '../zod.ts';

/** One account's run, as the rollover queue carries it (the dispatcher writes it, the worker parses it). */
export const RolloverMessageSchema = z.strictObject({
  v: z.literal(1),
  dispatchId: z.string().check(z.regex(/^[a-z]+-\d{8}T\d{6,9}Z(-[a-z0-9]{6})?$/, 'must be a dispatch id')),
  account: RegistryAccountNameSchema,
  phase: RolloverPhaseSchema,
  year: z.optional(z.int().check(z.minimum(2000), z.maximum(2999))),
  /** A scheduled dispatch's tick: decides each account's year in its own zone. */
  scheduledTime: z.optional(z.iso.datetime({ offset: true })),
  trigger: z.enum(['schedule', 'dispatch']),
  caller: z.string().check(z.minLength(1), z.maxLength(512)),
});
export type RolloverMessage = z.infer<typeof RolloverMessageSchema>;

const compact = (instant: Date): string =>
  instant
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/**
 * A dispatch's id: a scheduled tick's is its phase and time, so a tick delivered twice is the same
 * dispatch (its accounts are not run twice: the worker's claims); one on demand adds a random part.
 */
export function dispatchIdOf(phase: string, at: Date, onDemand: boolean): string {
  const suffix = onDemand ? `-${randomSuffix()}` : '';
  return `${phase}-${compact(at)}${suffix}`;
}
