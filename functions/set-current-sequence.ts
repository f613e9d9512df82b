import { createHttpHandler } from '../shared/http/handler.ts';
import { sequenceRoutes } from '../shared/http/sequence-routes.ts';
import { draftsOfSetCurrent } from '../shared/notifications/events.ts';
import { routeEventsFromEnv } from '../shared/notifications/route-events.ts';
import { BaseEnvSchema } from '../shared/runtime/env.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';
import { setCurrentSequence } from '../shared/sequences/operations.ts';

const runtime = createServiceRuntime(BaseEnvSchema);
const events = routeEventsFromEnv();

/** PUT /sequences/{id}/set_current: serie.activated (previous and new default) when this request moved it. */
export const handler = createHttpHandler(sequenceRoutes.setCurrentSequence, async ({ account: target, params, deadline, requestId }) => {
  const { session } = await runtime.accounts.resolve(target);
  const { outcome, account } = await session.run({ deadline }, async (client, secret) => ({
    account: secret.accountName,
    outcome: await setCurrentSequence(client, params.id),
  }));
  await events.publish(draftsOfSetCurrent(outcome, new Date().toISOString()), { account, requestId });
  return { sequence: outcome.sequence };
});
