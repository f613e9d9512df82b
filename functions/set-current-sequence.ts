import { createHttpHandler } from '../shared/http/handler.ts';
import { sequenceRoutes } from '../shared/http/sequence-routes.ts';
import { BaseEnvSchema } from '../shared/runtime/env.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';
import { setCurrentSequence } from '../shared/sequences/operations.ts';

const runtime = createServiceRuntime(BaseEnvSchema);

/** PUT /sequences/{id}/set_current */
export const handler = createHttpHandler(sequenceRoutes.setCurrentSequence, async ({ params, deadline }) => ({
  sequence: await runtime.session.run({ deadline }, (client) => setCurrentSequence(client, params.id)),
}));
