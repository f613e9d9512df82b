import { createHttpHandler } from '../shared/http/handler.ts';
import { sequenceRoutes } from '../shared/http/sequence-routes.ts';
import { BaseEnvSchema } from '../shared/runtime/env.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';

const runtime = createServiceRuntime(BaseEnvSchema);

/** GET /sequences, GET /accounts/{account}/sequences */
export const handler = createHttpHandler(sequenceRoutes.listSequences, async ({ account, deadline }) => {
  const { session } = await runtime.accounts.resolve(account);
  return { sequences: await session.run({ deadline }, (client) => client.list()) };
});
