import { createHttpHandler } from '../shared/http/handler.ts';
import { rolloverRoutes } from '../shared/http/rollover-routes.ts';
import { RolloverEnvSchema } from '../shared/rollover/config.ts';
import { readiness } from '../shared/rollover/rollover.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';

const runtime = createServiceRuntime(RolloverEnvSchema);

/** GET /rollover/{year}: readiness of the year's serie, read-only (one list call). */
export const handler = createHttpHandler(rolloverRoutes.rolloverStatus, ({ params }) =>
  runtime.session.run((client) => readiness({ client, year: params.year, templates: runtime.env.SERIE_TEMPLATES })),
);
