import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createRolloverWorkerHandler } from '../shared/fanout/worker-service.ts';
import { logger } from '../shared/runtime/logger.ts';

/**
 * The rollover queue's consumer: one registered account's locked run per message (its claim in the
 * dispatch keeps it to one), partial batch failures for SQS to hand back (then the dead-letter queue).
 */
export const handler = middy(createRolloverWorkerHandler()).use(injectLambdaContext(logger, { resetKeys: true }));
