import { createHttpHandler } from '../shared/http/handler.ts';
import { sequenceRoutes } from '../shared/http/sequence-routes.ts';
import { RegistrationEnvSchema } from '../shared/runtime/env.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';
import { registerSequence } from '../shared/sequences/operations.ts';
import { createRegistrationLeaseTable } from '../shared/sequences/registration-lease-table.ts';

const runtime = createServiceRuntime(RegistrationEnvSchema);
const leases = createRegistrationLeaseTable({ tableName: runtime.env.ROLLOVER_TABLE_NAME });

/** PUT /sequences/{id}/register: one registration per sequence at a time (its lease in the run table). */
export const handler = createHttpHandler(sequenceRoutes.registerSequence, async ({ params, deadline }) => ({
  sequence: await runtime.session.run({ deadline }, (client, secret) =>
    registerSequence(client, params.id, {
      deadline,
      settleMs: runtime.env.REGISTER_SETTLE_MS,
      lease: { leases, account: secret.accountName, via: 'register' },
    }),
  ),
}));
