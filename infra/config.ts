import {
  AccountNameSchema,
  DEFAULT_SERIE_TEMPLATE_LIST,
  SerieFamilyListSchema,
  serieTemplateListProblems,
  serieTemplateProblem,
  TimeZoneSchema,
} from '../shared/rollover/settings.ts';
import { IX_TIMEOUT_MS } from '../shared/runtime/env.ts';
import { ACCESS_LEVELS, ACCOUNT_PATTERN } from './access.ts';
import * as z from '../shared/zod.ts';
import { issueLines } from '../shared/zod-issues.ts';

/**
 * Per-environment configuration of the ix-sequences stack.
 *
 * To add an environment, add an entry to `STAGES` below (only the fields that differ from the
 * defaults) and deploy it with `npx cdk deploy -c stage=<name>`. Every entry is validated with zod
 * when the app starts, so a typo fails the synth with the field's path instead of deploying
 * something half-configured.
 */

/** Log retention values CloudWatch Logs accepts (days). */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const AccountIdSchema = z.string().check(z.regex(/^\d{12}$/, 'an AWS account id is 12 digits'));
const RoleArnSchema = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)'));

const SecretConfigSchema = z.discriminatedUnion('mode', [
  /** The stack creates `ix-sequences/<stage>`; its value is set out of band (docs/deploy.md). */
  z.strictObject({ mode: z.literal('create') }),
  /** Use a secret that already exists in the account, by name (e.g. one retained by an earlier stack). */
  z.strictObject({ mode: z.literal('import'), name: z.string().check(z.minLength(1), z.maxLength(512)) }),
  /** Same, by its complete ARN (with the 6-character suffix): the grant is then that exact ARN. */
  z.strictObject({
    mode: z.literal('importArn'),
    arn: z.string().check(z.regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/)),
  }),
]);

/** One template; the functions' own rules are checked on the whole list (serieTemplates below). */
const SerieTemplateSchema = z.string().check(
  z.minLength(1),
  z.refine((t) => !t.includes(','), 'a serie template cannot contain a comma (the list is passed comma-separated)'),
  // The functions' own rule: fail at synth, not at the first cold start after a deploy.
  z.superRefine((t, context) => {
    const problem = serieTemplateProblem(t);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: `a serie template ${problem}` });
  }),
);

const positiveInt = (max: number) => z.int().check(z.positive(), z.maximum(max));

const OrganizationIdSchema = z.string().check(z.regex(/^o-[a-z0-9]{10,32}$/, 'an AWS Organizations id is o- and 10 to 32 letters or digits'));

/** A registered account's name, a prefix of names ending in `*`, or `*` (infra/access.ts, ACCOUNT_PATTERN). */
const AccountPatternSchema = z
  .string()
  .check(z.regex(ACCOUNT_PATTERN, 'expected an account name in lowercase (a host label), a prefix ending in * (acme*), or * (a * stands last only)'));

/**
 * A caller of the API: an account (any principal its own IAM policies allow), one role (its
 * sessions), or an organization (every principal of its accounts that their IAM policies allow).
 * With `accounts`, it reaches only those registered accounts' routes (`/accounts/{account}/…`)
 * at its level: not the default account's, the registry's (admin) nor the fan-out's.
 */
const CallerSchema = z
  .strictObject({
    principal: z.union([AccountIdSchema, RoleArnSchema, OrganizationIdSchema]),
    level: z.enum(ACCESS_LEVELS),
    accounts: z.optional(z.array(AccountPatternSchema).check(z.minLength(1), z.maxLength(20))),
  })
  .check(
    z.refine((caller) => !(caller.level === 'admin' && caller.accounts !== undefined), {
      message: 'a caller limited to some accounts cannot be admin (the admin routes are the registry of every account): use rollover',
      path: ['accounts'],
    }),
  );

/** The fan-out's worker (one registered account's rollover per SQS message). */
const RolloverWorkerSchema = z.strictObject({
  /** Accounts rolled over at once (the event source's MaximumConcurrency); each spends its own InvoiceXpress budget. */
  maxConcurrency: z._default(z.int().check(z.minimum(2), z.maximum(1_000)), 16),
  /** Messages (accounts) per invocation; a failed one is retried alone (partial batch failures). */
  batchSize: z._default(z.int().check(z.minimum(1), z.maximum(10)), 1),
});

const TopicArnSchema = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, 'expected an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)'));

const AlarmConfigSchema = z.strictObject({
  /** Subscribed by e-mail to the stack's alarm topic (each recipient confirms once). */
  emails: z._default(z.array(z.email()), []),
  /**
   * Existing SNS topics (same region; e.g. a pager or chat integration) that receive every alarm
   * and OK notification directly, besides the stack's own topic.
   */
  topicArns: z._default(z.array(TopicArnSchema), []),
  /** True for an environment someone must hear from: synth warns while nobody is subscribed. */
  expectSubscription: z._default(z.boolean(), false),
  /** API answers that are 5XX, in percent of all answers, in each 5-minute period... */
  api5xxRatePercent: z._default(z.number().check(z.positive(), z.maximum(100)), 5),
  /** ...for this many consecutive periods, before the API alarm goes off. */
  api5xxPeriods: z._default(z.int().check(z.minimum(2), z.maximum(12)), 3),
  /** A rollover lock held (or found held) longer than this raises the lock alarm. */
  lockHeldSeconds: z._default(z.int().check(z.minimum(30), z.maximum(3_600)), 240),
  /**
   * The notification queue's oldest message older than this raises an alarm. A message lives
   * through its whole retry schedule (4 days), so the default is that and 4 hours.
   */
  notificationAgeHours: z._default(z.int().check(z.minimum(1), z.maximum(336)), 100),
});

const StageConfigSchema = z.strictObject({
  /** Omit both to synthesize an environment-agnostic template (no credentials needed to synth). */
  account: z.optional(AccountIdSchema),
  region: z.optional(z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region such as eu-west-1'))),
  secret: z._default(SecretConfigSchema, { mode: 'create' }),
  /**
   * The InvoiceXpress account of this environment (the part before `.app.invoicexpress.com`), as in
   * the secret's `accountName`. Functions that only need the name (the run records) get it from
   * here and never read the secret; the others refuse a secret naming another account.
   */
  invoiceXpressAccount: AccountNameSchema,
  /**
   * A role that may decrypt the secret besides the functions that call InvoiceXpress (an operator's
   * break-glass role). Nobody else can, whatever their IAM policies say (the key's policy denies it).
   */
  breakGlassRoleArn: z.optional(RoleArnSchema),
  /** IANA time zone of the rollover schedules (and of the year the rollover computes). */
  scheduleTimeZone: TimeZoneSchema,
  /** Serie names to try in order; the first is the normal one, the rest are fallbacks. */
  serieTemplates: z._default(
    z.array(SerieTemplateSchema).check(
      z.minLength(1),
      z.superRefine((templates, context) => {
        for (const message of serieTemplateListProblems(templates)) context.addIssue({ code: 'custom', message });
      }),
    ),
    [...DEFAULT_SERIE_TEMPLATE_LIST],
  ),
  /**
   * Several families of series, each rolled over every year (docs/rollover.md, "Families"):
   * [{ name, templates, default?: true }], at most one default. Replaces serieTemplates (set one
   * of the two); passed to the functions as SERIE_FAMILIES and checked with the functions' own rules.
   */
  serieFamilies: z.optional(SerieFamilyListSchema),
  logRetentionDays: z._default(
    z.number().check(z.refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `one of ${LOG_RETENTION_DAYS.join(', ')}`)),
    30,
  ),
  logLevel: z._default(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']), 'INFO'),
  /**
   * Requests per minute InvoiceXpress allows this environment's account (100 is the documented
   * figure; newer accounts may have more). The request budget every function spends before each
   * InvoiceXpress request, and API Gateway's per-method throttling, are derived from it
   * (shared/budget, infra/constructs/api.ts, docs/deploy.md "Rate limits").
   */
  invoiceXpressRequestsPerMinute: z._default(positiveInt(100_000), 100),
  /**
   * API Gateway's share for the registered accounts' routes (`/accounts/{account}…`), all accounts
   * together, in InvoiceXpress requests a minute: each account's own request budget holds its
   * line; this only turns a flood away before any function runs. Size it for the accounts callers
   * use at once (the default: sixty accounts at their full allowance).
   */
  registeredAccountsRequestsPerMinute: z._default(positiveInt(1_000_000), 6_000),
  /**
   * The account's request budget (shared/budget), spent before every InvoiceXpress request by
   * every function: `burst` requests may go at once (the rest of the minute refills at
   * perMinute - burst), and `rolloverReserve` of them only the rollover may spend, so API callers
   * cannot starve the year-end. rolloverReserve < burst < invoiceXpressRequestsPerMinute.
   */
  invoiceXpressBudget: z.prefault(z.strictObject({ burst: z._default(positiveInt(100_000), 20), rolloverReserve: z._default(positiveInt(100_000), 10) }), {}),
  /**
   * Who may call the API, and how far (infra/access.ts): `read` (GET routes), `write` (+ create,
   * register, set_current), `rollover` (+ POST /rollover, the dispatch, redeliveries), `admin`
   * (+ the account registry); `accounts` limits a caller to some registered accounts' routes.
   * Every caller is listed, same-account ones too (the resource policy denies the others).
   */
  callers: z._default(
    z.array(CallerSchema).check(
      z.superRefine((callers, context) => {
        const seen = new Set<string>();
        for (const [index, caller] of callers.entries()) {
          if (seen.has(caller.principal)) {
            context.addIssue({ code: 'custom', path: [index, 'principal'], message: `${caller.principal} is listed twice (give it one level)` });
          }
          seen.add(caller.principal);
        }
      }),
    ),
    [],
  ),
  alarms: z.prefault(AlarmConfigSchema, {}),
  /** The rollover fan-out's worker: how many registered accounts roll over at once, and per invocation. */
  rolloverWorker: z.prefault(RolloverWorkerSchema, {}),
  /**
   * API Gateway needs an account-wide (per region) CloudWatch Logs role to write access logs. True:
   * this stack sets it (the role is retained when the stack is deleted). False: it is already set
   * in this account/region by someone else (another stack, or the console).
   */
  manageApiGatewayLogsRole: z._default(z.boolean(), true),
  /** What happens to the secret, run table, log groups, queue and topic when the stack is deleted. */
  removalPolicy: z._default(z.enum(['retain', 'destroy']), 'destroy'),
  /** Passed to the functions: how long the secret is cached, and the per-call InvoiceXpress timeout. */
  secretTtlSeconds: z._default(z.int().check(z.minimum(0), z.maximum(86_400)), 300),
  ixTimeoutMs: z._default(z.int().check(z.minimum(IX_TIMEOUT_MS.min), z.maximum(IX_TIMEOUT_MS.max)), IX_TIMEOUT_MS.default),
});

export type StageConfigInput = z.input<typeof StageConfigSchema>;
export type StageConfig = z.output<typeof StageConfigSchema> & { readonly stage: string };

/** Stage names end up in stack, function, log group and schedule names: keep them short and plain. */
const StageNameSchema = z.string().check(z.regex(/^[a-z][a-z0-9-]{0,15}$/, 'a stage name is lowercase letters, digits and dashes, at most 16 characters'));

/** The environments. Add one here (only what differs from the defaults above). */
export const STAGES: Record<string, StageConfigInput> = {
  // invoiceXpressAccount: each environment's InvoiceXpress account, the same name as in its
  // secret (a function that reads the secret refuses one naming another account).
  dev: {
    invoiceXpressAccount: 'my-company-dev',
    logRetentionDays: 14,
    logLevel: 'DEBUG',
  },
  staging: {
    invoiceXpressAccount: 'my-company-staging',
    logRetentionDays: 30,
  },
  prod: {
    invoiceXpressAccount: 'my-company',
    logRetentionDays: 365,
    removalPolicy: 'retain',
    // Synth warns until an e-mail or a topic is added here (docs/deploy.md, "Alarms").
    alarms: { expectSubscription: true },
  },
};

export const DEFAULT_STAGE = 'dev';

export class StageConfigError extends Error {
  override readonly name = 'StageConfigError';
}

/** Validates one raw entry. Exported so tests (and new environments) can check an entry alone. */
export function parseStageConfig(stage: string, raw: StageConfigInput): StageConfig {
  const name = StageNameSchema.safeParse(stage);
  if (!name.success) throw new StageConfigError(`Invalid stage name "${stage}": ${name.error.issues[0]?.message}`);
  const result = StageConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = issueLines(result.error);
    throw new StageConfigError(`Invalid configuration for stage "${stage}": ${problems.join('; ')}`);
  }
  if (raw.serieTemplates !== undefined && raw.serieFamilies !== undefined) {
    throw new StageConfigError(`Invalid configuration for stage "${stage}": set serieTemplates or serieFamilies, not both`);
  }
  const { invoiceXpressRequestsPerMinute: perMinute, invoiceXpressBudget: budget } = result.data;
  if (!(budget.rolloverReserve < budget.burst && budget.burst < perMinute)) {
    throw new StageConfigError(
      `Invalid configuration for stage "${stage}": invoiceXpressBudget: needs rolloverReserve < burst < invoiceXpressRequestsPerMinute`,
    );
  }
  return { ...result.data, stage };
}

export function stageNames(stages: Record<string, StageConfigInput> = STAGES): string[] {
  return Object.keys(stages);
}

export function loadStageConfig(stage: string, stages: Record<string, StageConfigInput> = STAGES): StageConfig {
  const raw = Object.hasOwn(stages, stage) ? stages[stage] : undefined;
  if (raw === undefined) {
    throw new StageConfigError(`Unknown stage "${stage}". Configured stages: ${stageNames(stages).join(', ')} (infra/config.ts)`);
  }
  return parseStageConfig(stage, raw);
}
