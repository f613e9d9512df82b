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

export const RolloverActionSchema = z.enum(['find', 'create', 'register', 'set_current', 'verify']);
export type RolloverAction = z.infer<typeof RolloverActionSchema>;

export const RolloverStepSchema = z
  .object({
    action: RolloverActionSchema,
    status: z.enum(['done', 'skipped', 'planned', 'failed']),
    detail: z.string(),
    serie: z.string().optional().describe('The serie name the step concerned (absent for find)'),
  })
  .describe(
    'One step, in the order it happened. A failed step inside a run whose outcome is not "failed" was recovered ' +
      '(AT refused a name and a fallback name was used, or a lost create answer was resolved by reading the state).',
  );
export type RolloverStep = z.infer<typeof RolloverStepSchema>;

export const RolloverOutcomeSchema = z.enum(['ready', 'activated', 'already_done', 'failed']);
export type RolloverOutcome = z.infer<typeof RolloverOutcomeSchema>;

export const RolloverFallbackSchema = z
  .object({
    from: z.string().describe('The preferred (first configured) serie name that was not used'),
    reason: z.string().describe("Why each earlier name was passed over, e.g. AT's refusal messages"),
  })
  .describe('Present when the serie used is not the first configured name: operators are alarmed');

export const RolloverFailureSchema = z
  .object({
    action: RolloverActionSchema,
    kind: z
      .string()
      .describe(
        'An InvoiceXpressError kind (timeout, rate_limited, rejected, unauthorized, ...), or ' +
          "'at_refused' (every configured name refused), 'verify_mismatch', 'internal'",
      ),
    message: z.string().describe('Free of secrets and URLs'),
  })
  .describe('Why the run failed (outcome "failed" only)');
export type RolloverFailure = z.infer<typeof RolloverFailureSchema>;
export type RolloverFallback = z.infer<typeof RolloverFallbackSchema>;

export const RolloverCallsSchema = z
  .object({
    list: z.number().int().nonnegative(),
    get: z.number().int().nonnegative(),
    create: z.number().int().nonnegative(),
    register: z.number().int().nonnegative(),
    set_current: z.number().int().nonnegative(),
  })
  .describe('InvoiceXpress client calls this run made (each may include retried HTTP attempts or pages)');
export type RolloverCalls = z.infer<typeof RolloverCallsSchema>;

export const RolloverResultSchema = z
  .object({
    year: z.number().int(),
    serie: z.string().describe('The serie name used (a fallback name when an earlier one failed AT registration)'),
    phase: z.enum(['prepare', 'activate']),
    dryRun: z.boolean(),
    outcome: RolloverOutcomeSchema,
    steps: z.array(RolloverStepSchema),
    sequence: SequenceSchema.nullable(),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    fallback: RolloverFallbackSchema.optional(),
    failure: RolloverFailureSchema.optional(),
    calls: RolloverCallsSchema.optional(),
  })
  .describe(
    'outcome: "ready" (prepare changed something and verified it), "activated" (activate changed something and ' +
      'verified it), "already_done" (nothing needed changing), "failed" (see `failure` and the failed step; a later ' +
      'run resumes from whatever state was reached). With dryRun only the list call is made and nothing changes: ' +
      'the steps that a real run would take are reported with status "planned", and outcome is "already_done" when ' +
      'nothing would change, otherwise the outcome the real run would reach if every planned step succeeds ' +
      '("ready"/"activated"; AT may still refuse). Check `dryRun` before acting on the outcome.',
  );
export type RolloverResult = z.infer<typeof RolloverResultSchema>;

/** GET /rollover/{year}: read-only readiness of the year's serie. */
export const RolloverReadinessSchema = z.object({
  year: z.number().int(),
  serie: z
    .string()
    .nullable()
    .describe(
      'The serie the rollover would use: a registered configured name (the default one first, else the first ' +
        'registered in configured order), else the first configured name that exists; null when none exists',
    ),
  exists: z.boolean(),
  registered: z.boolean(),
  current: z.boolean(),
  sequence: SequenceSchema.nullable(),
});
export type RolloverReadiness = z.infer<typeof RolloverReadinessSchema>;
