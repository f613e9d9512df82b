import { createDispatchService } from '../shared/fanout/dispatch-service.ts';
import { createHttpHandler } from '../shared/http/handler.ts';
import { fanoutRoutes } from '../shared/http/fanout-routes.ts';

const dispatcher = createDispatchService();

/** POST /rollover/dispatch: every enabled registered account on the rollover queue; 202 with the dispatch id and the count. */
export const handler = createHttpHandler(fanoutRoutes.dispatchRollover, async ({ body, caller }) => {
  const [dispatched] = await dispatcher.dispatch({ phases: [body.phase], year: body.year, trigger: 'dispatch', caller });
  return dispatched ?? { dispatchId: '', phase: body.phase, accounts: 0 };
});
