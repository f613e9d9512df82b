import { RegistryAccountNameSchema } from '../accounts/model.ts';
import * as z from '../zod.ts';
import type { RolloverResult } from './result.ts';
import { RolloverPhaseSchema } from './schemas.ts';

/**
 * Where a registered account stands in a year (the status its last real run left), as a value:
 * the routes, the client and the store (year-end.ts) share it.
 */
export const YEAR_END_STATUSES = ['ready', 'activated', 'failed', 'not_started'] as const;
export type YearEndStatus = (typeof YEAR_END_STATUSES)[number];

export const YearEndAccountSchema = z.object({
  account: RegistryAccountNameSchema,
  status: z.enum(YEAR_END_STATUSES),
  cause: z.optional(z.string()).check(z.describe('Why it failed: the failure kind and message of its last run')),
  phase: z.optional(RolloverPhaseSchema),
  outcome: z.optional(z.string()).check(z.describe("The last run's outcome")),
  runId: z.optional(z.string()),
  updatedAt: z.optional(z.iso.datetime()),
});
export type YearEndAccount = z.infer<typeof YearEndAccountSchema>;

/** A cause is cut to this many characters (the run record keeps the whole message). */
const MAX_CAUSE_CHARS = 300;

/**
 * What a run says of its account's year: ready (prepare done), activated (the year's serie is the
 * default, or a default that supersedes it was left alone), failed (with the cause; a run stopped
 * at its deadline too: a person looks if the next run does not fix it). Dry runs and runs that
 * found the lock held say nothing.
 */
export function yearEndEntryOf(result: RolloverResult): Omit<YearEndAccount, 'account' | 'updatedAt'> | undefined {
  if (result.dryRun || result.outcome === 'skipped') return undefined;
  const base = { phase: result.phase, outcome: result.outcome, ...(result.runId === undefined ? {} : { runId: result.runId }) };
  if (result.outcome === 'failed' || result.outcome === 'incomplete') {
    const failure = result.failure;
    const text = failure === undefined ? result.outcome : `${result.outcome === 'incomplete' ? 'incomplete, ' : ''}${failure.kind}: ${failure.message}`;
    return { ...base, status: 'failed', cause: text.length > MAX_CAUSE_CHARS ? `${text.slice(0, MAX_CAUSE_CHARS - 1)}…` : text };
  }
  return { ...base, status: result.phase === 'prepare' ? 'ready' : 'activated' };
}
