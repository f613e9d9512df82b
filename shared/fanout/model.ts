import { RegistryAccountNameSchema } from '../accounts/model.ts';
import { RolloverPhaseSchema } from '../rollover/schemas.ts';
import { YearEndAccountSchema } from '../rollover/year-end-status.ts';
import * as z from '../zod.ts';

/**
 * The rollover of many accounts (the registry's), fanned out on SQS: a dispatch puts one message
 * per account on the rollover queue and a worker runs each account's locked run (dispatch.ts,
 * worker.ts). Where each account stands in a year: shared/rollover/year-end.ts.
 */

/** POST /rollover/dispatch: what the schedules do, now, for every enabled registered account. */
export const DispatchInputSchema = z.strictObject({
  phase: RolloverPhaseSchema,
  year: z
    .optional(z.int().check(z.minimum(2000), z.maximum(2999)))
    .check(z.describe("Default: each account's own, from its time zone (the next year for prepare, the current one otherwise)")),
});

/** The Scheduler's payload for the dispatcher: the phases to consider at this tick, its time and the schedule's name. */
export const DispatchTickSchema = z.strictObject({
  phases: z.array(RolloverPhaseSchema).check(z.minLength(1)),
  scheduledTime: z.iso.datetime({ offset: true }),
  schedule: z.string().check(z.minLength(1), z.maxLength(64)),
});

export const DispatchedSchema = z.object({
  dispatchId: z.string().check(z.describe('Names this dispatch in the run records and the year-end status')),
  phase: RolloverPhaseSchema,
  year: z.optional(z.int()),
  accounts: z.int().check(z.describe('Accounts put on the rollover queue (one message each)')),
});
export type Dispatched = z.infer<typeof DispatchedSchema>;

export const YearEndOverviewSchema = z.object({
  year: z.int(),
  counts: z.object({ ready: z.int(), activated: z.int(), failed: z.int(), not_started: z.int() }).check(z.describe('Enabled registered accounts by status')),
  attention: z
    .array(z.object({ account: RegistryAccountNameSchema, cause: z.string() }))
    .check(z.describe('The accounts a person must look at (their last run failed), with the cause; at most 100, by name')),
  attentionMore: z.optional(z.int()).check(z.describe('Failed accounts beyond the 100 listed (page through them with ?status=failed)')),
  accounts: z.optional(z.array(YearEndAccountSchema)).check(z.describe('With ?status=: a page of the accounts in that status, by name')),
  nextToken: z.optional(z.string()),
});
export type YearEndOverview = z.infer<typeof YearEndOverviewSchema>;
