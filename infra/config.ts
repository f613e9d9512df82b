import { z } from 'zod';
import { SerieTemplatesSchema } from '../shared/rollover/config.ts';

/**
 * Per-environment configuration of the ix-sequences stack.
 *
 * To add an environment, add an entry to `STAGES` below (only the fields that differ from the
 * defaults) and deploy it with `npx cdk deploy -c stage=<name>`. Every entry is validated with zod
 * when the app starts, so a typo fails the synth with the field's path instead of deploying
 * something half-configured.
 */

/** Log retention values CloudWatch Logs accepts (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const AccountIdSchema = z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits');
const RoleArnSchema = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)');

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const SecretConfigSchema = z.discriminatedUnion('mode', [
  /** The stack creates `ix-sequences/<stage>`; its value is set out of band (docs/deploy.md). */
  z.strictObject({ mode: z.literal('create') }),
  /** Use a secret that already exists in the account, by name (e.g. one retained by an earlier stack). */
  z.strictObject({ mode: z.literal('import'), name: z.string().min(1).max(512) }),
  /** Same, by its complete ARN (with the 6-character suffix): the grant is then that exact ARN. */
  z.strictObject({
    mode: z.literal('importArn'),
    arn: z.string().regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/),
  }),
]);

const SerieTemplateSchema = z
  .string()
  .min(1)
  .refine((t) => t.includes('{year}'), 'a serie template must contain {year}')
  .refine((t) => !t.includes(','), 'a serie template cannot contain a comma (the list is passed comma-separated)');

export const StageConfigSchema = z.strictObject({
  /** Omit both to synthesize an environment-agnostic template (no credentials needed to synth). */
  account: AccountIdSchema.optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region such as eu-west-1')
    .optional(),
  secret: SecretConfigSchema.default({ mode: 'create' }),
  /** IANA time zone of the rollover schedules (and of the year the rollover computes). */
  scheduleTimeZone: z.string().refine(isTimeZone, 'unknown IANA time zone').default('Europe/Lisbon'),
  /** Serie names to try in order; the first is the normal one, the rest are fallbacks. */
  serieTemplates: z
    .array(SerieTemplateSchema)
    .min(1)
    .superRefine((templates, context) => {
      // The functions' own rules (length, characters, not "AT...", distinct): fail at synth, not at
      // the first cold start after a deploy.
      const parsed = SerieTemplatesSchema.safeParse(templates.join(','));
      if (!parsed.success) for (const issue of parsed.error.issues) context.addIssue({ code: 'custom', message: issue.message });
    })
    .default(['{year}', '{year}B', '{year}C']),
  logRetentionDays: z
    .number()
    .refine(
      (d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d),
      `one of ${LOG_RETENTION_DAYS.join(', ')}`,
    )
    .default(30),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Stage-wide API Gateway throttling (steady requests per second, and burst). */
  apiThrottling: z
    .strictObject({
      rateLimit: z.number().positive().max(10_000),
      burstLimit: z.number().int().positive().max(5_000),
    })
    .default({ rateLimit: 10, burstLimit: 20 }),
  /**
   * Account ids or IAM role ARNs allowed to call the API. When set, an API resource policy denies
   * everyone else (even IAM principals of this account whose own policy would allow it). Required
   * for callers in other accounts.
   */
  allowedPrincipals: z.array(z.union([AccountIdSchema, RoleArnSchema])).default([]),
  /** E-mail subscribed to the alarm topic (the recipient must confirm the subscription). */
  alarmEmail: z.email().optional(),
  /** API 5XX responses in 5 minutes that raise the alarm (502/504 mean InvoiceXpress trouble). */
  api5xxAlarmThreshold: z.number().int().min(1).default(1),
  /**
   * API Gateway needs an account-wide (per region) CloudWatch Logs role to write access logs. True:
   * this stack sets it (the role is retained when the stack is deleted). False: it is already set
   * in this account/region by someone else (another stack, or the console).
   */
  manageApiGatewayLogsRole: z.boolean().default(true),
  /** What happens to the secret, log groups, queue and topic when the stack is deleted. */
  removalPolicy: z.enum(['retain', 'destroy']).default('destroy'),
  /** Passed to the functions: how long the secret is cached, and the per-call InvoiceXpress timeout. */
  secretTtlSeconds: z.number().int().min(0).max(86_400).default(300),
  ixTimeoutMs: z.number().int().min(100).max(20_000).default(8_000),
});

export type StageConfigInput = z.input<typeof StageConfigSchema>;
export type StageConfig = z.output<typeof StageConfigSchema> & { readonly stage: string };

/** Stage names end up in stack, function, log group and schedule names: keep them short and plain. */
export const StageNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,15}$/, 'a stage name is lowercase letters, digits and dashes, at most 16 characters');

/** The environments. Add one here (only what differs from the defaults above). */
export const STAGES: Record<string, StageConfigInput> = {
  dev: {
    logRetentionDays: 14,
    logLevel: 'DEBUG',
    apiThrottling: { rateLimit: 5, burstLimit: 10 },
  },
  staging: {
    logRetentionDays: 30,
    apiThrottling: { rateLimit: 10, burstLimit: 20 },
  },
  prod: {
    logRetentionDays: 365,
    apiThrottling: { rateLimit: 20, burstLimit: 40 },
    removalPolicy: 'retain',
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
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new StageConfigError(`Invalid configuration for stage "${stage}": ${problems.join('; ')}`);
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
