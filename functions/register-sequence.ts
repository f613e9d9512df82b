import { createHttpHandler } from '../shared/http/handler.ts';
import { sequenceRoutes } from '../shared/http/sequence-routes.ts';
import { BaseEnvSchema } from '../shared/runtime/env.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';
import { registerSequence } from '../shared/sequences/operations.ts';

const runtime = createServiceRuntime(BaseEnvSchema);

/** PUT /sequences/{id}/register */
export const handler = createHttpHandler(sequenceRoutes.registerSequence, async ({ params, deadline }) => ({
  sequence: await runtime.session.run({ deadline }, (client) => registerSequence(client, params.id, { deadline, settleMs: runtime.env.REGISTER_SETTLE_MS })),
}));
