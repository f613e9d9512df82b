import { ApiError } from '../shared/http/api-error.ts';
import { createHttpHandler } from '../shared/http/handler.ts';
import { rolloverRoutes } from '../shared/http/rollover-routes.ts';
import { createRunRecords } from '../shared/rollover/run-records.ts';

const records = createRunRecords();

/** GET /rollover/runs/{runId} (and per account): one real run as the run table keeps it (without its caller). */
export const handler = createHttpHandler(rolloverRoutes.rolloverRunRecord, async ({ account, params }) => {
  const record = await records.get(params.runId, account);
  if (record === undefined) throw new ApiError(404, 'not_found', `No run ${params.runId} on record`);
  return record;
});
