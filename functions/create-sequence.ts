import { createHttpHandler } from '../shared/http/handler.ts';
import { sequenceRoutes } from '../shared/http/sequence-routes.ts';
import { BaseEnvSchema } from '../shared/runtime/env.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';
import { createSequence } from '../shared/sequences/operations.ts';

const runtime = createServiceRuntime(BaseEnvSchema);

/** POST /sequences */
export const handler = createHttpHandler(sequenceRoutes.createSequence, async ({ body, deadline }) => ({
  sequence: await runtime.session.run({ deadline }, (client) => createSequence(client, { serie: body.serie, isDefault: body.default }, { deadline, settleMs: runtime.env.REGISTER_SETTLE_MS })),
}));
