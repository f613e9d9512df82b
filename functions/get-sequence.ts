import { createHttpHandler } from '../shared/http/handler.ts';
import { sequenceRoutes } from '../shared/http/sequence-routes.ts';
import { BaseEnvSchema } from '../shared/runtime/env.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';

const runtime = createServiceRuntime(BaseEnvSchema);

/** GET /sequences/{id}, GET /accounts/{account}/sequences/{id} */
export const handler = createHttpHandler(sequenceRoutes.getSequence, async ({ account, params, deadline }) => {
  const { session } = await runtime.accounts.resolve(account);
  return { sequence: await session.run({ deadline }, (client) => client.get(params.id)) };
});
