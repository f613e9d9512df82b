import { createHttpHandler } from '../shared/http/handler.ts';
import { routes } from '../shared/http/routes.ts';
import { BaseEnvSchema } from '../shared/runtime/env.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';

const runtime = createServiceRuntime(BaseEnvSchema);

/** GET /sequences */
export const handler = createHttpHandler(routes.listSequences, async () => ({
  sequences: await runtime.session.run((client) => client.list()),
}));
