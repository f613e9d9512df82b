import { createHttpHandler } from '../shared/http/handler.ts';
import { rolloverRoutes } from '../shared/http/rollover-routes.ts';
import { RolloverEnvSchema } from '../shared/rollover/config.ts';
import { executeRollover } from '../shared/rollover/service.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';

const runtime = createServiceRuntime(RolloverEnvSchema);

/** POST /rollover: the same run as the Scheduler's, by hand (dryRun honoured); 200 with the result. */
export const handler = createHttpHandler(rolloverRoutes.runRollover, ({ body }) =>
  executeRollover(runtime, { input: body, trigger: 'api' }),
);
