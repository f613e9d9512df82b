import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { RunTableNameSchema } from '../runtime/env.ts';
import { parseEnv } from '../runtime/env.ts';
import * as z from '../zod.ts';
import { attemptDelivery } from './attempt.ts';
import { deliverNotification } from './delivery.ts';
import type { DeliveryDeps, DeliveryLogger } from './delivery.ts';
import { createNotificationsTable } from './dynamodb-store.ts';
import { endpointsFromEnvironment } from './endpoints.ts';
import { NotificationMessageSchema } from './model.ts';
import { retryWaits } from './schedule.ts';
import { sqsClient } from '../runtime/sqs.ts';
import { hideMessage, sqsDeadLetterQueue, sqsNotificationQueue } from './sqs-queue.ts';
import { EventMessageSchema, fanOut } from './publisher.ts';

/** The delivery function's configuration (parsed at cold start; a bad value fails it by name). */
const DeliveryEnvSchema = z.object({
  NOTIFICATIONS_TABLE_NAME: RunTableNameSchema,
  NOTIFICATIONS_QUEUE_URL: z.url(),
  NOTIFICATIONS_DLQ_URL: z.url(),
  /** Deployed: the secret holding the endpoints (a JSON array). */
  WEBHOOKS_SECRET_ID: z.optional(z.string().check(z.minLength(1))),
  /** Local runs only (LOCAL_RUN=true): the endpoints' JSON itself. */
  IX_WEBHOOKS: z.optional(z.string()),
  WEBHOOK_RETRY_SCHEDULE: z.optional(z.string()),
  LOCAL_RUN: z._default(z.enum(['true', 'false']), 'false'),
  SECRET_TTL_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(86_400)), 300),
  STAGE: z._default(z.string().check(z.minLength(1)), 'local'),
});

/** A message whose attempt must wait: reported as a batch item failure after hiding it that long. */
class DeliveryWait extends Error {
  override readonly name = 'DeliveryWait';
  readonly seconds: number;
  constructor(seconds: number) {
    super(`next attempt in ${String(seconds)} s`);
    this.seconds = seconds;
  }
}

interface DeliveryService {
  processRecord(record: SQSRecord): Promise<void>;
}

export interface DeliveryServiceOptions {
  env?: Record<string, string | undefined>;
  logger: DeliveryLogger;
  /** Clients (default: the container's, from the environment). */
  sqs?: SQSClient;
  dynamo?: DynamoDBClient;
  deps?: Partial<DeliveryDeps>;
}

function createDeliveryService(options: DeliveryServiceOptions): DeliveryService {
  const env = parseEnv(DeliveryEnvSchema, options.env ?? process.env);
  const sqs = options.sqs ?? sqsClient();
  const localRun = env.LOCAL_RUN === 'true';
  const deps: DeliveryDeps = {
    store: createNotificationsTable({ tableName: env.NOTIFICATIONS_TABLE_NAME, ...(options.dynamo ? { client: options.dynamo } : {}) }),
    endpoints: endpointsFromEnvironment(env),
    deadLetters: sqsDeadLetterQueue(env.NOTIFICATIONS_DLQ_URL, sqs),
    waits: retryWaits(env.WEBHOOK_RETRY_SCHEDULE),
    attempt: (endpoint, event) => attemptDelivery(endpoint, event, { localRun }),
    logger: options.logger,
    ...options.deps,
  };
  const queue = sqsNotificationQueue(env.NOTIFICATIONS_QUEUE_URL, sqs);
  return {
    async processRecord(record) {
      // A new event (publisher.ts): one notification per endpoint that wants it, each queued on its own schedule.
      const published = EventMessageSchema.safeParse(safeJson(record.body));
      if (published.success) {
        const notifications = await fanOut(published.data.event, await deps.endpoints.all(), deps.store, (deps.now ?? (() => new Date()))());
        await Promise.all(notifications.map((notification) => queue.send(notification.id)));
        return;
      }
      const message = NotificationMessageSchema.safeParse(safeJson(record.body));
      if (!message.success) {
        // Never a notification of ours: kept out of the retries (the body is not logged).
        options.logger.error('Malformed delivery message dropped', { alarm: 'malformed_delivery_message', messageId: record.messageId });
        return;
      }
      const decision = await deliverNotification(deps, message.data.notificationId);
      if (decision.kind === 'done') return;
      await hideMessage(sqs, env.NOTIFICATIONS_QUEUE_URL, record.receiptHandle, decision.seconds);
      throw new DeliveryWait(decision.seconds);
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export type DeliveryHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * The delivery function's handler: Powertools Batch over the records, in parallel; each record
 * that must wait (or threw) is a batch item failure. Never a full-batch error: SQS takes the
 * partial response as it is.
 */
export function createDeliveryHandler(options: DeliveryServiceOptions): DeliveryHandler {
  const processor = new BatchProcessor(EventType.SQS);
  const delivery = createDeliveryService(options);
  return (event, context) =>
    processPartialResponse(event, (record: SQSRecord) => delivery.processRecord(record), processor, { context, throwOnFullBatchFailure: false });
}
