import * as z from '../zod.ts';

export const RolloverPhaseSchema = z
  .enum(['prepare', 'activate', 'verify'])
  .check(
    z.describe(
      "prepare: create and register the year's serie, never touching the default; activate: also make it the default; " +
        'verify: read-only, fails unless the year is active (its serie registered and the default)',
    ),
  );
export type RolloverPhase = z.infer<typeof RolloverPhaseSchema>;

/** The rollover input: the manual route, the CLI and the Scheduler. */
export const RolloverInputSchema = z.strictObject({
  phase: RolloverPhaseSchema,
  year: z.optional(z.int().check(z.minimum(2000), z.maximum(2999))),
  dryRun: z._default(z.boolean(), false),
});
export type RolloverInput = z.infer<typeof RolloverInputSchema>;

/**
 * The Scheduler's payload: the input plus the schedule's own time
 * (<aws.scheduler.scheduled-time>), which decides the year rather than the clock, and the
 * schedule's name (the caller on record).
 */
export const ScheduledRolloverPayloadSchema = z.extend(RolloverInputSchema, {
  scheduledTime: z.optional(z.iso.datetime({ offset: true })),
  schedule: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
});
export type ScheduledRolloverPayload = z.infer<typeof ScheduledRolloverPayloadSchema>;

/** Who started a run, for the record: `dispatch` is a run of many accounts dispatched on demand (POST /rollover/dispatch). */
export const RolloverTriggerSchema = z.enum(['schedule', 'api', 'cli', 'dispatch']);
export type RolloverTrigger = z.infer<typeof RolloverTriggerSchema>;

/** Runs nobody waits on (the schedules, the fan-out's worker): a busy lock or a run that cannot start ends the run, it does not throw. */
export const isUnattended = (trigger: RolloverTrigger): boolean => trigger === 'schedule' || trigger === 'dispatch';

/** A run id: the year, the start time (UTC, compact) and a random suffix; sorts by start time within a year. */
export const RUN_ID_PATTERN = /^(2\d{3})-(\d{8}T\d{9}Z)-([a-z0-9]{6})$/;

export const RunIdSchema = z
  .string()
  .check(
    z.regex(RUN_ID_PATTERN, 'must be a run id such as 2027-20261201T090000000Z-k3f9qa'),
    z.describe('The run id: the year, the start time (UTC) and a random suffix; also the webhook delivery id'),
  );
