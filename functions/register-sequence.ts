import { createHttpHandler } from '../shared/http/handler.ts';
import { routes } from '../shared/http/routes.ts';
import { BaseEnvSchema } from '../shared/runtime/env.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';
import { registerSequence } from '../shared/sequences/operations.ts';

const runtime = createServiceRuntime(BaseEnvSchema);

/** PUT /sequences/{id}/register */
export const handler = createHttpHandler(routes.registerSequence, async ({ params }) => ({
  sequence: await runtime.session.run((client) => registerSequence(client, params.id)),
}));
