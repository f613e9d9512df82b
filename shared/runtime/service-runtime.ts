import type * as z from '../zod.ts';
import type { BaseEnvSchema } from './env.ts';
import { parseEnv } from './env.ts';
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
  const secret = new CachedSecret(secretsManagerSource(parsed.IX_SECRET_ID), {
    ttlMs: parsed.SECRET_TTL_SECONDS * 1000,
  });
  const session = createInvoiceXpressSession({ secret, baseUrl: parsed.IX_BASE_URL, timeoutMs: parsed.IX_TIMEOUT_MS });
  return { env: parsed, secret, session };
}
