import { createHttpHandler } from '../../shared/http/handler.ts';
import { sequenceRoutes } from '../../shared/http/sequence-routes.ts';
import { BaseEnvSchema, parseEnv } from '../../shared/runtime/env.ts';
import { createInvoiceXpressSession } from '../../shared/runtime/invoicexpress-session.ts';
import { CachedSecret } from '../../shared/runtime/secret.ts';
import { secretsManagerSource } from '../../shared/runtime/secrets-manager.ts';

/**
 * A change kept, undone (see docs/benchmarks.md): functions/get-sequence.ts without the
 * InvoiceXpress request budget (issue 21): no DynamoDB client in the bundle, no conditional write
 * before the InvoiceXpress call. The rest is the runtime as createServiceRuntime builds it.
 */
const env = parseEnv(BaseEnvSchema);
const secret = new CachedSecret(secretsManagerSource(env.IX_SECRET_ID), { ttlMs: env.SECRET_TTL_SECONDS * 1000 });
const session = createInvoiceXpressSession({ secret, baseUrl: env.IX_BASE_URL, timeoutMs: env.IX_TIMEOUT_MS });

export const handler = createHttpHandler(sequenceRoutes.getSequence, async ({ params, deadline }) => ({
  sequence: await session.run({ deadline }, (client) => client.get(params.id)),
}));
