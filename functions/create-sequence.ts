import { createHttpHandler } from '../shared/http/handler.ts';
import { sequenceRoutes } from '../shared/http/sequence-routes.ts';
import { draftsOfCreate } from '../shared/notifications/events.ts';
import { routeEventsFromEnv } from '../shared/notifications/route-events.ts';
import { RegistrationEnvSchema } from '../shared/runtime/env.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';
import { createSequence } from '../shared/sequences/operations.ts';
import { createRegistrationLeaseTable } from '../shared/sequences/registration-lease-table.ts';

const runtime = createServiceRuntime(RegistrationEnvSchema);
const leases = createRegistrationLeaseTable({ tableName: runtime.env.ROLLOVER_TABLE_NAME });
const events = routeEventsFromEnv();

/**
 * POST /sequences (with `default: true` it registers, holding the sequence's lease in the run
 * table). A default InvoiceXpress moved to the new serie is put back and named in `restoredDefault`.
 * Events: serie.created; with `default: true` also serie.registered and serie.activated.
 */
export const handler = createHttpHandler(sequenceRoutes.createSequence, async ({ account: target, body, deadline, requestId }) => {
  const { session } = await runtime.accounts.resolve(target);
  const { created, account } = await session.run({ deadline }, async (client, secret) => ({
    account: secret.accountName,
    created: await createSequence(
      client,
      { serie: body.serie, isDefault: body.default },
      {
        deadline,
        settleMs: runtime.env.REGISTER_SETTLE_MS,
        lease: { leases, account: secret.accountName, via: 'create' },
      },
    ),
  }));
  const { sequence, restoredDefault, previousDefault } = created;
  await events.publish(draftsOfCreate({ sequence }, { isDefault: body.default, previousDefault }, new Date().toISOString()), { account, requestId });
  return restoredDefault === undefined ? { sequence } : { sequence, restoredDefault };
});
