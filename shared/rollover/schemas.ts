import * as z from '../zod.ts';

/** The rollover input of the contract (section 2): the manual route, the CLI and the Scheduler. */
export const RolloverInputSchema = z.strictObject({
  phase: z.enum(['prepare', 'activate']),
  year: z.optional(z.int().check(z.minimum(2000), z.maximum(2999))),
  dryRun: z._default(z.boolean(), false),
});
export type RolloverInput = z.infer<typeof RolloverInputSchema>;
export type RolloverPhase = RolloverInput['phase'];

/**
 * The Scheduler's payload: the contract input plus the schedule's own time
 * (<aws.scheduler.scheduled-time>), which decides the year rather than the clock.
 */
export const ScheduledRolloverPayloadSchema = z.extend(RolloverInputSchema, {
  scheduledTime: z.optional(z.iso.datetime({ offset: true })),
});
export type ScheduledRolloverPayload = z.infer<typeof ScheduledRolloverPayloadSchema>;
