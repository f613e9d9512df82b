import { createHttpHandler } from '../shared/http/handler.ts';
import { rolloverRoutes } from '../shared/http/rollover-routes.ts';
import { createRolloverStatusService } from '../shared/rollover/read-service.ts';

const rollover = createRolloverStatusService();

/** GET /rollover/{year} (and per account): readiness of the year's serie (one list call) and its last runs. */
export const handler = createHttpHandler(rolloverRoutes.rolloverStatus, ({ account, params, deadline }) => rollover.readiness(params.year, deadline, account));
