import * as z from '../zod.ts';
import { issueLines } from '../zod-issues.ts';

/** The per-call InvoiceXpress timeout: at most the API functions' 28 s (the stack's configuration checks the same bounds). */
export const IX_TIMEOUT_MS = { min: 100, max: 28_000, default: 8_000 } as const;

/** The run table's name: rollover locks and runs, and registration leases (DynamoDB; dynalite locally). */
export const RunTableNameSchema = z.string().check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'));

/** Variables every function reads. Parsed once at cold start: a bad value fails loudly by name. */
export const BaseEnvSchema = z.object({
  IX_SECRET_ID: z.string().check(z.minLength(1)),
  STAGE: z._default(z.string().check(z.minLength(1)), 'local'),
  SECRET_TTL_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(86_400)), 300),
  IX_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.minimum(IX_TIMEOUT_MS.min), z.maximum(IX_TIMEOUT_MS.max)), IX_TIMEOUT_MS.default),
  /** After an unclear register answer, how long the state is read before giving up (AT may be slow). */
  REGISTER_SETTLE_MS: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(60_000)), 8_000),
  /** Only for local runs and tests (the sandbox); unset in AWS. https: unless LOCAL_RUN. */
  IX_BASE_URL: z.optional(z.url()),
  /**
   * Set to "true" only by `npm start` and the tests (local/secrets-manager-endpoint.ts), never in
   * AWS: allows a plain-http IX_BASE_URL, http: webhooks to loopback and running without a budget.
   */
  LOCAL_RUN: z._default(z.enum(['true', 'false']), 'false'),
  /** The table holding the account's InvoiceXpress request budget (the run table); required in AWS. */
  IX_BUDGET_TABLE_NAME: z.optional(RunTableNameSchema),
  /** The table holding the account registry (the run table): the accounts besides the default one; required in AWS. */
  IX_ACCOUNTS_TABLE_NAME: z.optional(RunTableNameSchema),
  /** The budget (shared/budget): requests a minute, bucket size, and the tokens only the rollover spends. */
  IX_BUDGET_PER_MINUTE: z._default(z.coerce.number().check(z.int(), z.minimum(3), z.maximum(100_000)), 100),
  IX_BUDGET_BURST: z._default(z.coerce.number().check(z.int(), z.minimum(2), z.maximum(100_000)), 20),
  IX_BUDGET_ROLLOVER_RESERVE: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100_000)), 10),
});
export type BaseEnv = z.infer<typeof BaseEnvSchema>;

/**
 * The admin functions (PUT and DELETE /accounts/{account}): no stage secret of their own, they
 * write registered accounts' secrets; they check a new key with InvoiceXpress (timeout, budget).
 */
export const AccountAdminEnvSchema = z.extend(z.omit(BaseEnvSchema, { IX_SECRET_ID: true, SECRET_TTL_SECONDS: true, REGISTER_SETTLE_MS: true }), {
  /** The stage's default account (its own secret): not registered a second time. */
  IX_ACCOUNT_NAME: z.string().check(z.minLength(1)),
  /** The registry they write (the run table). */
  IX_ACCOUNTS_TABLE_NAME: RunTableNameSchema,
  /** The KMS key registered accounts' secrets are encrypted with (the stack's); unset: Secrets Manager's default key (local runs). */
  ACCOUNT_SECRETS_KMS_KEY_ID: z.optional(z.string().check(z.minLength(1))),
});

/** Functions that register with AT (register, create): the run table holds their lease. */
export const RegistrationEnvSchema = z.extend(BaseEnvSchema, { ROLLOVER_TABLE_NAME: RunTableNameSchema });

/** True only in `npm start` and the tests. */
const isLocalRun = (env: Pick<BaseEnv, 'LOCAL_RUN'>): boolean => env.LOCAL_RUN === 'true';

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/**
 * Parses environment variables with a zod object schema. The error names each variable and what
 * is wrong with it, never its value (a value may be a secret).
 */
export function parseEnv<Schema extends z.ZodMiniType>(schema: Schema, env: Record<string, string | undefined> = process.env): z.output<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = issueLines(result.error);
  throw new ConfigurationError(`Invalid environment variables: ${problems.join('; ')}`);
}

/** What outside local runs must hold beyond each variable's own shape (the key goes to IX_BASE_URL). */
export function checkDeployedEnv(env: Pick<BaseEnv, 'LOCAL_RUN' | 'IX_BASE_URL' | 'IX_ACCOUNTS_TABLE_NAME' | 'IX_BUDGET_TABLE_NAME'>): void {
  if (isLocalRun(env)) return;
  if (env.IX_BASE_URL !== undefined && new URL(env.IX_BASE_URL).protocol !== 'https:') {
    throw new ConfigurationError('Invalid environment variables: IX_BASE_URL: must be an https: URL outside local runs');
  }
  if (env.IX_ACCOUNTS_TABLE_NAME === undefined) {
    throw new ConfigurationError('Invalid environment variables: IX_ACCOUNTS_TABLE_NAME: required outside local runs (the account registry)');
  }
  if (env.IX_BUDGET_TABLE_NAME === undefined) {
    throw new ConfigurationError('Invalid environment variables: IX_BUDGET_TABLE_NAME: required outside local runs (the InvoiceXpress request budget)');
  }
}
