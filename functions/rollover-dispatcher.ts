import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createDispatchService } from '../shared/fanout/dispatch-service.ts';
import type { Dispatched } from '../shared/fanout/model.ts';
import { DispatchTickSchema } from '../shared/fanout/model.ts';
import { logger } from '../shared/runtime/logger.ts';
import { issueLines } from '../shared/zod-issues.ts';

const dispatcher = createDispatchService();

export class InvalidDispatchTickError extends Error {
  override readonly name = 'InvalidDispatchTickError';
}

/**
 * A tick of the registered accounts' rollover (EventBridge Scheduler, UTC: every hour through
 * December, every 15 minutes around 1 January): the accounts whose local time calls for a phase go
 * on the rollover queue. The tick's scheduled time decides, so a late or repeated delivery
 * dispatches the same accounts under the same dispatch id. Only an invalid payload throws.
 */
async function tick(event: unknown): Promise<Dispatched[]> {
  const parsed = DispatchTickSchema.safeParse(event);
  if (!parsed.success) {
    const message = `Invalid dispatch payload (expected {"phases": [...], "scheduledTime", "schedule"}): ${issueLines(parsed.error).join('; ')}`;
    logger.error(message, { alarm: 'rollover_failed' });
    throw new InvalidDispatchTickError(message);
  }
  const { phases, scheduledTime, schedule } = parsed.data;
  const dispatched = await dispatcher.dispatch({ phases, scheduledTime, trigger: 'schedule', caller: schedule });
  for (const one of dispatched) logger.info(`Dispatched ${one.phase} to ${String(one.accounts)} accounts`, { dispatch: one, schedule, scheduledTime });
  return dispatched;
}

export const handler = middy(tick).use(injectLambdaContext(logger, { resetKeys: true }));
