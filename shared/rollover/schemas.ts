import { z } from 'zod';
import { SequenceSchema } from '../sequence.ts';

/** The rollover input of the contract (section 2): the manual route, the CLI and the Scheduler. */
export const RolloverInputSchema = z.strictObject({
  phase: z.enum(['prepare', 'activate']),
  year: z.number().int().min(2000).max(2999).optional(),
  dryRun: z.boolean().default(false),
});
export type RolloverInput = z.infer<typeof RolloverInputSchema>;
export type RolloverPhase = RolloverInput['phase'];

/**
 * The Scheduler's payload: the contract input plus the schedule's own time
 * (<aws.scheduler.scheduled-time>), which decides the year rather than the clock.
 */
export const ScheduledRolloverPayloadSchema = RolloverInputSchema.extend({
  scheduledTime: z.iso.datetime({ offset: true }).optional(),
});
export type ScheduledRolloverPayload = z.infer<typeof ScheduledRolloverPayloadSchema>;

export const RolloverStepSchema = z.object({
  action: z.enum(['find', 'create', 'register', 'set_current', 'verify']),
  status: z.enum(['done', 'skipped', 'planned', 'failed']),
  detail: z.string(),
});
export type RolloverStep = z.infer<typeof RolloverStepSchema>;

export const RolloverOutcomeSchema = z.enum(['ready', 'activated', 'already_done', 'failed']);
export type RolloverOutcome = z.infer<typeof RolloverOutcomeSchema>;

export const RolloverResultSchema = z.object({
  year: z.number().int(),
  serie: z.string().describe('The serie name used (a fallback name when an earlier one failed AT registration)'),
  phase: z.enum(['prepare', 'activate']),
  dryRun: z.boolean(),
  outcome: RolloverOutcomeSchema,
  steps: z.array(RolloverStepSchema),
  sequence: SequenceSchema.nullable(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
});
export type RolloverResult = z.infer<typeof RolloverResultSchema>;

/** GET /rollover/{year}: read-only readiness of the year's serie. */
export const RolloverReadinessSchema = z.object({
  year: z.number().int(),
  serie: z.string().nullable().describe('The serie found for the year (first configured name that exists), or null'),
  exists: z.boolean(),
  registered: z.boolean(),
  current: z.boolean(),
  sequence: SequenceSchema.nullable(),
});
export type RolloverReadiness = z.infer<typeof RolloverReadinessSchema>;
