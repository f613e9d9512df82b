import { ApiError } from '../shared/http/api-error.ts';
import { createHttpHandler } from '../shared/http/handler.ts';
import { rolloverRoutes } from '../shared/http/rollover-routes.ts';
import { createRunRecordService } from '../shared/rollover/read-service.ts';

const rollover = createRunRecordService();

/** GET /rollover/runs/{runId}: one real run as the run table keeps it. */
export const handler = createHttpHandler(rolloverRoutes.rolloverRunRecord, async ({ params, deadline }) => {
  const record = await rollover.runRecord(params.runId, deadline);
  if (record === undefined) throw new ApiError(404, 'not_found', `No run ${params.runId} on record`);
  return record;
});
