import { createDeliveryHandler } from '../shared/notifications/delivery-service.ts';
import { logger } from '../shared/runtime/logger.ts';

/**
 * The delivery queue's consumer (SQS event source with ReportBatchItemFailures): one attempt per
 * due message, in parallel; a message that must wait is hidden until then and reported failed, so
 * SQS hands it back at that time.
 */
export const handler = createDeliveryHandler({ logger });
