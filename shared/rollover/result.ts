import * as z from '../zod.ts';
import { SequenceSchema } from '../sequence.ts';

/**
 * What a rollover run and the readiness report answer. At run time only their TypeScript types are
 * used (import type): the schema values serve the OpenAPI document and the tests, and stay out of
 * the function bundles (zod schema constructors cannot be tree-shaken once a module is imported).
 */

export const RolloverActionSchema = z.enum(['find', 'create', 'register', 'set_current', 'verify']);
export type RolloverAction = z.infer<typeof RolloverActionSchema>;

export const RolloverStepSchema = z
  .object({
    action: RolloverActionSchema,
    status: z.enum(['done', 'skipped', 'planned', 'failed']),
    detail: z.string(),
    serie: z.optional(z.string()).check(z.describe('The serie name the step concerned (absent for find)')),
  })
  .check(
    z.describe(
      'One step, in the order it happened. A failed step inside a run whose outcome is not "failed" was recovered ' +
        '(AT refused a name and a fallback name was used, or a lost create answer was resolved by reading the state).',
    ),
  );
export type RolloverStep = z.infer<typeof RolloverStepSchema>;

export const RolloverOutcomeSchema = z.enum(['ready', 'activated', 'already_done', 'failed']);
export type RolloverOutcome = z.infer<typeof RolloverOutcomeSchema>;

export const RolloverFallbackSchema = z
  .object({
    from: z.string().check(z.describe('The preferred (first configured) serie name that was not used')),
    reason: z.string().check(z.describe("Why each earlier name was passed over, e.g. AT's refusal messages")),
  })
  .check(z.describe('Present when the serie used is not the first configured name: operators are alarmed'));

export const RolloverFailureSchema = z
  .object({
    action: RolloverActionSchema,
    kind: z
      .string()
      .check(
        z.describe(
          'An InvoiceXpressError kind (timeout, rate_limited, rejected, unauthorized, ...), or ' +
            "'at_refused' (every configured name refused), 'verify_mismatch', 'internal'",
        ),
      ),
    message: z.string().check(z.describe('Free of secrets and URLs')),
  })
  .check(z.describe('Why the run failed (outcome "failed" only)'));
export type RolloverFailure = z.infer<typeof RolloverFailureSchema>;
export type RolloverFallback = z.infer<typeof RolloverFallbackSchema>;

export const RolloverCallsSchema = z
  .object({
    list: z.int().check(z.nonnegative()),
    get: z.int().check(z.nonnegative()),
    create: z.int().check(z.nonnegative()),
    register: z.int().check(z.nonnegative()),
    set_current: z.int().check(z.nonnegative()),
  })
  .check(z.describe('InvoiceXpress client calls this run made (each may include retried HTTP attempts or pages)'));
export type RolloverCalls = z.infer<typeof RolloverCallsSchema>;

export const RolloverResultSchema = z
  .object({
    year: z.int(),
    serie: z
      .string()
      .check(z.describe('The serie name used (a fallback name when an earlier one failed AT registration)')),
    phase: z.enum(['prepare', 'activate']),
    dryRun: z.boolean(),
    outcome: RolloverOutcomeSchema,
    steps: z.array(RolloverStepSchema),
    sequence: z.nullable(SequenceSchema),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    fallback: z.optional(RolloverFallbackSchema),
    failure: z.optional(RolloverFailureSchema),
    calls: z.optional(RolloverCallsSchema),
  })
  .check(
    z.describe(
      'outcome: "ready" (prepare changed something and verified it), "activated" (activate changed something and ' +
        'verified it), "already_done" (nothing needed changing), "failed" (see `failure` and the failed step; a later ' +
        'run resumes from whatever state was reached). With dryRun only the list call is made and nothing changes: ' +
        'the steps that a real run would take are reported with status "planned", and outcome is "already_done" when ' +
        'nothing would change, otherwise the outcome the real run would reach if every planned step succeeds ' +
        '("ready"/"activated"; AT may still refuse). Check `dryRun` before acting on the outcome.',
    ),
  );
export type RolloverResult = z.infer<typeof RolloverResultSchema>;

/** GET /rollover/{year}: read-only readiness of the year's serie. */
export const RolloverReadinessSchema = z.object({
  year: z.int(),
  serie: z
    .nullable(z.string())
    .check(
      z.describe(
        'The serie the rollover would use: a registered configured name (the default one first, else the first ' +
          'registered in configured order), else the first configured name that exists; null when none exists',
      ),
    ),
  exists: z.boolean(),
  registered: z.boolean(),
  current: z.boolean(),
  sequence: z.nullable(SequenceSchema),
});
export type RolloverReadiness = z.infer<typeof RolloverReadinessSchema>;
