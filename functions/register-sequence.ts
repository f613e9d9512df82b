import { createHttpHandler } from '../shared/http/handler.ts';
import { sequenceRoutes } from '../shared/http/sequence-routes.ts';
import { draftsOfRegister } from '../shared/notifications/events.ts';
import { routeEventsFromEnv } from '../shared/notifications/route-events.ts';
import { RegistrationEnvSchema } from '../shared/runtime/env.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';
import { registerSequence } from '../shared/sequences/operations.ts';
import { createRegistrationLeaseTable } from '../shared/sequences/registration-lease-table.ts';

const runtime = createServiceRuntime(RegistrationEnvSchema);
const leases = createRegistrationLeaseTable({ tableName: runtime.env.ROLLOVER_TABLE_NAME });
const events = routeEventsFromEnv();

/** PUT /sequences/{id}/register: one registration per sequence at a time (its lease in the run table); serie.registered when this request sent it. */
export const handler = createHttpHandler(sequenceRoutes.registerSequence, async ({ account: target, params, deadline, requestId }) => {
  const { session } = await runtime.accounts.resolve(target);
  const { outcome, account } = await session.run({ deadline }, async (client, secret) => ({
    account: secret.accountName,
    outcome: await registerSequence(client, params.id, {
      deadline,
      settleMs: runtime.env.REGISTER_SETTLE_MS,
      lease: { leases, account: secret.accountName, via: 'register' },
    }),
  }));
  await events.publish(draftsOfRegister(outcome, new Date().toISOString()), { account, requestId });
  return { sequence: outcome.sequence };
});
