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
  session: InvoiceXpressSession;
}

/**
 * What every function builds once per container, at cold start: the parsed environment (a bad
 * variable fails here, by name), the cached service secret read from Secrets Manager, and the
 * InvoiceXpress session (one client per key, 401 → re-read the secret once).
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
  const secret = new CachedSecret(secretsManagerSource(parsed.IX_SECRET_ID), {
    ttlMs: parsed.SECRET_TTL_SECONDS * 1000,
  });
  const session = createInvoiceXpressSession({ secret, baseUrl: parsed.IX_BASE_URL, timeoutMs: parsed.IX_TIMEOUT_MS, budgetFor: budgetsOf(parsed) });
  return { env: parsed, secret, session };
}

/** The request budget of each account, on the table named by IX_BUDGET_TABLE_NAME (none: no budget, local runs only). */
function budgetsOf(env: BaseEnv): ((account: string) => RequestBudget) | undefined {
  const tableName = env.IX_BUDGET_TABLE_NAME;
  if (tableName === undefined) return undefined;
  const limits = { perMinute: env.IX_BUDGET_PER_MINUTE, burst: env.IX_BUDGET_BURST, rolloverReserve: env.IX_BUDGET_ROLLOVER_RESERVE };
  const store = dynamoDbBudgetStore({ client: dynamoDbClient(), tableName });
  const onStoreError = (error: unknown): void =>
    logger.warn('InvoiceXpress request budget unavailable: request sent unbudgeted', { error: error instanceof Error ? error.name : 'unknown' });
  return (account) => createRequestBudget({ account, limits, store, onStoreError });
}
