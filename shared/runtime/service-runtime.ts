import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { dynamoDbAccountRegistry } from '../accounts/registry.ts';
import type { AccountRegistry } from '../accounts/registry.ts';
import { accountSecretName } from '../accounts/secrets.ts';
import { createAccountSessions } from '../accounts/sessions.ts';
import type { AccountSessions } from '../accounts/sessions.ts';
import { createRequestBudget } from '../budget/budget.ts';
import type { RequestBudget } from '../budget/budget.ts';
import { dynamoDbBudgetStore } from '../budget/dynamodb-budget.ts';
import type * as z from '../zod.ts';
import { dynamoDbClient } from './dynamodb.ts';
import { logger } from './logger.ts';
import type { BaseEnv, BaseEnvSchema } from './env.ts';
import { checkDeployedEnv, parseEnv } from './env.ts';
import { createInvoiceXpressSession } from './invoicexpress-session.ts';
import type { InvoiceXpressSession } from './invoicexpress-session.ts';
import { CachedSecret } from './secret.ts';
import { secretsManagerSource } from './secrets-manager.ts';

export interface ServiceRuntime<Env> {
  env: Env;
  secret: CachedSecret;
  /** The default account's session (the stage's own secret). */
  session: InvoiceXpressSession;
  /** Any account's session: the default one, or a registered account's (shared/accounts). */
  accounts: AccountSessions;
  /** The account registry, when IX_ACCOUNTS_TABLE_NAME names its table. */
  registry: AccountRegistry | undefined;
}

/**
 * What every function builds once per container, at cold start: the parsed environment (a bad
 * variable fails here, by name), the cached service secret read from Secrets Manager, and the
 * InvoiceXpress sessions (one client per key, 401 → re-read the secret once): the default
 * account's, and one per registered account, each on that account's own secret.
 *
 * Locally and in tests the same path runs: AWS_ENDPOINT_URL_SECRETS_MANAGER points the SDK at a
 * loopback Secrets Manager and IX_BASE_URL at the sandbox.
 */
export function createServiceRuntime<Schema extends typeof BaseEnvSchema>(
  schema: Schema,
  env: Record<string, string | undefined> = process.env,
): ServiceRuntime<z.output<Schema>> {
  const parsed = parseEnv(schema, env);
  checkDeployedEnv(parsed);
  const secretsManager = new SecretsManagerClient({});
  const ttlMs = parsed.SECRET_TTL_SECONDS * 1000;
  const secret = new CachedSecret(secretsManagerSource(parsed.IX_SECRET_ID, secretsManager), { ttlMs });
  const common = { baseUrl: parsed.IX_BASE_URL, timeoutMs: parsed.IX_TIMEOUT_MS, budgetFor: budgetsOf(parsed) };
  const session = createInvoiceXpressSession({ ...common, secret });
  const registry = parsed.IX_ACCOUNTS_TABLE_NAME === undefined ? undefined : dynamoDbAccountRegistry({ tableName: parsed.IX_ACCOUNTS_TABLE_NAME });
  const accounts = createAccountSessions({
    defaultSession: session,
    registry,
    sessionOf: (account) =>
      createInvoiceXpressSession({
        ...common,
        account,
        secret: new CachedSecret(secretsManagerSource(accountSecretName(parsed.STAGE, account), secretsManager), { ttlMs }),
      }),
  });
  return { env: parsed, secret, session, accounts, registry };
}

/** The request budget of each account, on the table named by IX_BUDGET_TABLE_NAME (none: no budget, local runs only). */
export function budgetsOf(
  env: Pick<BaseEnv, 'IX_BUDGET_TABLE_NAME' | 'IX_BUDGET_PER_MINUTE' | 'IX_BUDGET_BURST' | 'IX_BUDGET_ROLLOVER_RESERVE'>,
): ((account: string) => RequestBudget) | undefined {
  const tableName = env.IX_BUDGET_TABLE_NAME;
  if (tableName === undefined) return undefined;
  const limits = { perMinute: env.IX_BUDGET_PER_MINUTE, burst: env.IX_BUDGET_BURST, rolloverReserve: env.IX_BUDGET_ROLLOVER_RESERVE };
  const store = dynamoDbBudgetStore({ client: dynamoDbClient(), tableName });
  const onStoreError = (error: unknown): void =>
    logger.warn('InvoiceXpress request budget unavailable: request sent unbudgeted', { error: error instanceof Error ? error.name : 'unknown' });
  return (account) => createRequestBudget({ account, limits, store, onStoreError });
}
