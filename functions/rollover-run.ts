import { createHttpHandler } from '../shared/http/handler.ts';
import { rolloverRoutes } from '../shared/http/rollover-routes.ts';
import { createRolloverService } from '../shared/rollover/service.ts';

const rollover = createRolloverService();

/**
 * POST /rollover (and POST /accounts/{account}/rollover): the same run as the schedules', by hand (dryRun honoured). Answers 200 with the
 * result (failed and incomplete included); 409 rollover_in_progress while another run holds the
 * lock; 400 for a real run on a year that is neither the current nor the next.
 */
export const handler = createHttpHandler(rolloverRoutes.runRollover, ({ account, body, deadline, caller }) =>
  rollover.execute({ input: body, trigger: 'api', caller, deadline }, account),
);
