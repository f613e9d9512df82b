import { createHttpHandler } from '../shared/http/handler.ts';
import { sequenceRoutes } from '../shared/http/sequence-routes.ts';
import { BaseEnvSchema } from '../shared/runtime/env.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';

const runtime = createServiceRuntime(BaseEnvSchema);

/** GET /sequences */
export const handler = createHttpHandler(sequenceRoutes.listSequences, async ({ deadline }) => ({
  sequences: await runtime.session.run({ deadline }, (client) => client.list()),
}));
