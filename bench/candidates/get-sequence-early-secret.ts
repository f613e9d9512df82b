import { createHttpHandler } from '../../shared/http/handler.ts';
import { sequenceRoutes } from '../../shared/http/sequence-routes.ts';
import { BaseEnvSchema } from '../../shared/runtime/env.ts';
import { createServiceRuntime } from '../../shared/runtime/service-runtime.ts';

/**
 * A change tried and not kept (see docs/benchmarks.md): functions/get-sequence.ts with the secret
 * read started during init, so the bench keeps measuring whether it would pay.
 */
const runtime = createServiceRuntime(BaseEnvSchema);
// The first request joins this read, or reads again if it failed.
runtime.secret.get().catch(() => undefined);

export const handler = createHttpHandler(sequenceRoutes.getSequence, async ({ params, deadline }) => ({
  sequence: await runtime.session.run({ deadline }, (client) => client.get(params.id)),
}));
