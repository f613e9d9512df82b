import * as z from '../zod.ts';
import { SequenceSchema } from '../sequences/sequence.ts';
import { RolloverPhaseSchema, RolloverTriggerSchema, RunIdSchema } from './schemas.ts';

/**
 * What a rollover run, its record and the readiness report answer. At run time the functions use
 * their TypeScript types; the schema values serve the OpenAPI document, the tests, and parsing the
 * run table's items (run-table.ts).
 */

const RolloverActionSchema = z.enum(['find', 'read', 'create', 'register', 'set_current', 'verify']);
export type RolloverAction = z.infer<typeof RolloverActionSchema>;

const RolloverStepSchema = z
  .object({
    action: RolloverActionSchema,
    status: z.enum(['done', 'skipped', 'planned', 'failed']),
    detail: z.string(),
    serie: z.optional(z.string()).check(z.describe('The serie name the step concerned (absent for find)')),
    family: z.optional(z.string()).check(z.describe("The family of series the step concerned (absent for the run's one list)")),
  })
  .check(
    z.describe(
      'One step, in the order it happened: find (list), read (get one sequence: its own word on its AT status, never ' +
        "the list's, before registering or making it the default), create, register, set_current, verify. A failed " +
        'step inside a run whose outcome is not "failed" was recovered from (AT refused a name and the next name was ' +
        'used, or a lost create answer was resolved by reading the state).',
    ),
  );
export type RolloverStep = z.infer<typeof RolloverStepSchema>;

const RolloverOutcomeSchema = z
  .enum(['ready', 'activated', 'already_done', 'failed', 'incomplete', 'skipped'])
  .check(
    z.describe(
      'ready / activated: this run changed something itself and verified it; already_done: nothing needed changing ' +
        '(see `note` when the run left a default alone); failed: see `failure`; incomplete: the run stopped at its ' +
        'deadline between steps or during a call (the next run resumes); skipped: a scheduled run found another run ' +
        'holding the lock (that run does the work)',
    ),
  );
export type RolloverOutcome = z.infer<typeof RolloverOutcomeSchema>;

const RolloverFallbackSchema = z
  .object({
    from: z.string().check(z.describe('The preferred (first configured) serie name that was not used')),
    reason: z.string().check(z.describe("Why each earlier name was passed over, e.g. AT's refusal messages")),
  })
  .check(z.describe('Present when the serie used is not the first configured name: operators are alarmed'));

const RolloverFailureSchema = z
  .object({
    action: RolloverActionSchema,
    kind: z
      .string()
      .check(
        z.describe(
          'An InvoiceXpress error kind (timeout, network, upstream, rate_limited, unauthorized, malformed_response, ...), ' +
            'or: at_refused (every configured name refused in this run), name_limit (the run already created one ' +
            'serie), at_account (AT refused for the whole account: credentials, sub-user, trial), at_unknown (an ' +
            'answer never seen before, or no AT status), at_in_progress (AT still processing), at_unclear (the ' +
            'register answer was lost and the serie is still pending), not_ready (verify: the year is not active), ' +
            'verify_mismatch, year_out_of_range, not_run (a scheduled run that could not start: its secret or the run table ' +
            'could not be read), deadline, internal',
        ),
      ),
    message: z.string().check(z.describe('Free of secrets and URLs; says what to fix when a person must act')),
    family: z.optional(z.string()).check(z.describe('The family of series that failed (absent when the run failed as a whole, e.g. its list)')),
  })
  .check(z.describe('Why the run failed or stopped (outcomes "failed" and "incomplete")'));
export type RolloverFailure = z.infer<typeof RolloverFailureSchema>;

const RolloverCallsSchema = z
  .object({
    list: z.int().check(z.nonnegative()),
    get: z.int().check(z.nonnegative()),
    create: z.int().check(z.nonnegative()),
    register: z.int().check(z.nonnegative()),
    set_current: z.int().check(z.nonnegative()),
  })
  .check(z.describe('InvoiceXpress client calls this run made (each may include retried HTTP attempts or pages)'));
export type RolloverCalls = z.infer<typeof RolloverCallsSchema>;

const RolloverFamilyResultSchema = z
  .object({
    family: z.string(),
    default: z.boolean().check(z.describe('The default family: its serie is the one activate makes the default')),
    serie: z.string().check(z.describe("The family's serie name used (a fallback name when an earlier one failed AT registration)")),
    outcome: RolloverOutcomeSchema,
    sequence: z.nullable(SequenceSchema).check(z.describe("The family's sequence as last read (its documents carry the per-document-type sequence ids)")),
    note: z.optional(z.string()),
    fallback: z.optional(RolloverFallbackSchema),
    failure: z.optional(RolloverFailureSchema),
    previousDefault: z.optional(z.object({ id: z.int(), serie: z.string() })).check(z.describe("Default family only: as the run's previousDefault")),
    calls: RolloverCallsSchema.check(z.describe("The family's own calls (the run's one list is counted only in the run's calls)")),
  })
  .check(
    z.describe(
      "One family of series in the run. prepare makes every family ready; activate makes the default family's serie " +
        'the default and checks (reads) every other family: outcome already_done when ready, failed (not_ready) when not',
    ),
  );
export type RolloverFamilyResult = z.infer<typeof RolloverFamilyResultSchema>;

export const RolloverResultSchema = z
  .object({
    runId: z.optional(RunIdSchema).check(z.describe('Set for every run except dry runs and runs that did not start')),
    year: z.int(),
    serie: z.string().check(z.describe('The serie name used (a fallback name when an earlier one failed AT registration)')),
    phase: RolloverPhaseSchema,
    dryRun: z.boolean(),
    outcome: RolloverOutcomeSchema,
    steps: z.array(RolloverStepSchema),
    sequence: z.nullable(SequenceSchema),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    note: z.optional(z.string()).check(z.describe('Why the run left the account as it is although it is not what the run would make it')),
    fallback: z.optional(RolloverFallbackSchema),
    failure: z.optional(RolloverFailureSchema),
    previousDefault: z
      .optional(z.object({ id: z.int(), serie: z.string() }))
      .check(z.describe('The serie that was the default before this run made its serie the default (set only by that run)')),
    calls: z.optional(RolloverCallsSchema),
    families: z
      .optional(z.array(RolloverFamilyResultSchema))
      .check(
        z.describe(
          'Every configured family, the default family first. The top-level serie, sequence, note and fallback are the ' +
            "default family's (with no default family, the first family's); outcome and failure are the run's (the first " +
            "family that failed); calls are the run's total",
        ),
      ),
  })
  .check(
    z.describe(
      'With dryRun only the list call is made and nothing changes: the steps a real run would take are reported with ' +
        'status "planned", and outcome is "already_done" when nothing would change, otherwise the outcome the real run ' +
        'would reach if every planned step succeeds ("ready"/"activated"; AT may still refuse). Check `dryRun` before ' +
        'acting on the outcome.',
    ),
  );
export type RolloverResult = z.infer<typeof RolloverResultSchema>;

/** One real run as the run table keeps it (GET /rollover/runs/{runId}). */
export const RolloverRunRecordSchema = z.object({
  runId: RunIdSchema,
  year: z.int(),
  phase: RolloverPhaseSchema,
  trigger: RolloverTriggerSchema,
  caller: z.string().check(z.describe('The IAM principal that called the API, the schedule name, or cli:<user>@<host>')),
  status: z.enum(['running', 'finished']).check(z.describe('running: started and not finished (still running, or stopped by a crash: the lock expires)')),
  startedAt: z.iso.datetime(),
  finishedAt: z.optional(z.iso.datetime()),
  durationMs: z.optional(z.int().check(z.nonnegative())),
  outcome: z.optional(RolloverOutcomeSchema),
  result: z.optional(RolloverResultSchema),
});
export type RolloverRunRecord = z.infer<typeof RolloverRunRecordSchema>;

/** The record without its result: what GET /rollover/{year} lists. */
export const RolloverRunSummarySchema = z.omit(RolloverRunRecordSchema, { result: true });
export type RolloverRunSummary = z.infer<typeof RolloverRunSummarySchema>;

/**
 * What the read routes answer: a record without its `caller`. A caller is an IAM principal, and
 * an SSO session name in it can be a person's e-mail; `read` callers see the trigger, not who.
 * The caller stays in the run table and in the run's log line. Parsing a record with these (zod
 * objects drop unknown keys) is how the read routes leave it out.
 */
export const RolloverRunRecordViewSchema = z.omit(RolloverRunRecordSchema, { caller: true });
export type RolloverRunRecordView = z.infer<typeof RolloverRunRecordViewSchema>;
export const RolloverRunSummaryViewSchema = z.omit(RolloverRunSummarySchema, { caller: true });

const RolloverFamilyReadinessSchema = z.object({
  family: z.string(),
  default: z.boolean(),
  serie: z.nullable(z.string()).check(z.describe("The family's serie the rollover would use (as the top-level serie, within the family)")),
  exists: z.boolean(),
  registered: z.boolean(),
  isDefault: z.optional(z.boolean()).check(z.describe("Default family only: its serie is the account's default")),
  ready: z.boolean().check(z.describe('Registered, and for the default family also the default')),
  sequence: z.nullable(SequenceSchema),
});
export type RolloverFamilyReadiness = z.infer<typeof RolloverFamilyReadinessSchema>;

/** GET /rollover/{year}: read-only readiness of the year's serie, and the last runs on record. */
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
  note: z.optional(z.string()).check(z.describe('Set when the default is a serie the rollover leaves alone')),
  families: z
    .optional(z.array(RolloverFamilyReadinessSchema))
    .check(z.describe("Every configured family, the default family first; the top-level fields are the default family's")),
  runs: z.array(RolloverRunSummaryViewSchema).check(z.describe('The last real runs for the year, newest first (without their caller)')),
});
export type RolloverReadiness = z.infer<typeof RolloverReadinessSchema>;
