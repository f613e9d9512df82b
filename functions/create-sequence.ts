import { createHttpHandler } from '../shared/http/handler.ts';
import { sequenceRoutes } from '../shared/http/sequence-routes.ts';
import { RegistrationEnvSchema } from '../shared/runtime/env.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';
import { createSequence } from '../shared/sequences/operations.ts';
import { createRegistrationLeaseTable } from '../shared/sequences/registration-lease-table.ts';

const runtime = createServiceRuntime(RegistrationEnvSchema);
const leases = createRegistrationLeaseTable({ tableName: runtime.env.ROLLOVER_TABLE_NAME });

/**
 * POST /sequences (with `default: true` it registers, holding the sequence's lease in the run
 * table). A default InvoiceXpress moved to the new serie is put back and named in `restoredDefault`.
 */
export const handler = createHttpHandler(sequenceRoutes.createSequence, async ({ body, deadline }) => {
  const { sequence, restoredDefault } = await runtime.session.run({ deadline }, (client, secret) =>
    createSequence(client, { serie: body.serie, isDefault: body.default }, {
      deadline,
      settleMs: runtime.env.REGISTER_SETTLE_MS,
      lease: { leases, account: secret.accountName, via: 'create' },
    }),
  );
  return restoredDefault === undefined ? { sequence } : { sequence, restoredDefault };
});
