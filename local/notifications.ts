import { randomBytes } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryLogger } from '../shared/notifications/delivery.ts';
import { createDeliveryHandler } from '../shared/notifications/delivery-service.ts';
import type { DeliveryHandler } from '../shared/notifications/delivery-service.ts';
import { parseEndpoints } from '../shared/notifications/endpoints.ts';
import type { LocalDynamo } from './dynamodb.ts';
import { createLocalNotificationsTable } from './notifications-table.ts';
import { startQueuePoller } from './queue-poller.ts';
import type { QueuePoller } from './queue-poller.ts';
import { startLocalSqs } from './sqs-endpoint.ts';
import type { LocalSqs } from './sqs-endpoint.ts';
import { startLocalReceiver } from './webhook-receiver.ts';
import type { LocalReceiver, ReceiverBehaviour } from './webhook-receiver.ts';

/**
 * Durable notifications, locally (what `npm start` runs): the notifications table in the local
 * DynamoDB, a loopback SQS with the delivery queue and its dead-letter queue, a poller running the
 * delivery function's handler over it with real SQS events, and a receiver that verifies
 * signatures and prints each event. `environment` is what the functions need (the publishing side
 * included); it is also assigned to `target` (process.env by default) before the handler loads.
 */

export interface LocalNotifications {
  readonly sqs: LocalSqs;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly tableName: string;
  readonly receiver: LocalReceiver | undefined;
  readonly poller: QueuePoller;
  readonly environment: Record<string, string>;
  close(): Promise<void>;
}

export interface LocalNotificationsOptions {
  dynamo: LocalDynamo;
  /** IX_WEBHOOKS (the deployed configuration's JSON). Default: the local receiver, with a fresh secret. */
  webhooks?: string | undefined;
  /** WEBHOOK_RETRY_SCHEDULE (comma-separated seconds); default the production schedule. */
  retrySchedule?: string | undefined;
  /** The local receiver (false: none). It accepts every secret of `webhooks`. */
  receiver?: false | { port?: number; behaviour?: ReceiverBehaviour; print?: (line: string) => void };
  /**
   * 'module' (npm start): functions/notification-delivery.ts as deployed, one container;
   * 'fresh': `concurrency` handlers built from `environment`, like as many containers (tests, bench).
   */
  handler?: 'module' | 'fresh';
  logger?: DeliveryLogger;
  target?: Record<string, string | undefined>;
  concurrency?: number;
}

function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

async function loadHandlers(options: LocalNotificationsOptions, env: Record<string, string | undefined>, sqs: SQSClient): Promise<DeliveryHandler[]> {
  if (options.handler === 'fresh') {
    const logger = options.logger ?? (await import('../shared/runtime/logger.ts')).logger;
    return Array.from({ length: options.concurrency ?? 2 }, () => createDeliveryHandler({ env, logger, sqs, dynamo: options.dynamo.client }));
  }
  return [((await import('../functions/notification-delivery.ts')) as { handler: DeliveryHandler }).handler];
}

export async function startLocalNotifications(options: LocalNotificationsOptions): Promise<LocalNotifications> {
  const tableName = await createLocalNotificationsTable(options.dynamo.client);
  const sqs = await startLocalSqs();
  const deadLetterQueueUrl = sqs.createQueue('ix-sequences-local-notifications-dlq');
  // As the stack sets it: high enough that the retry schedule, not the receive count, decides.
  const queueUrl = sqs.createQueue('ix-sequences-local-notifications', { deadLetterQueueUrl, maxReceiveCount: 100 });
  const ownSecret = newSecret();
  const secrets = options.webhooks === undefined ? [ownSecret] : parseEndpoints(options.webhooks).flatMap((e) => [e.secret, ...(e.previousSecret ? [e.previousSecret] : [])]);
  const receiver = options.receiver === false ? undefined : await startLocalReceiver({ secrets, ...options.receiver });
  const webhooks = options.webhooks ?? JSON.stringify(receiver ? [{ url: receiver.url, secret: ownSecret }] : []);
  const environment: Record<string, string> = {
    AWS_ENDPOINT_URL_SQS: sqs.url,
    NOTIFICATIONS_TABLE_NAME: tableName,
    NOTIFICATIONS_QUEUE_URL: queueUrl,
    NOTIFICATIONS_DLQ_URL: deadLetterQueueUrl,
    IX_WEBHOOKS: webhooks,
    ...(options.retrySchedule === undefined ? {} : { WEBHOOK_RETRY_SCHEDULE: options.retrySchedule }),
  };
  const target = options.target ?? process.env;
  Object.assign(target, environment);
  const client = new SQSClient({ endpoint: sqs.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const handlers = await loadHandlers(options, { ...process.env, ...target, LOCAL_RUN: 'true' }, client);
  const poller = startQueuePoller({ sqs: client, queueUrl, queueArn: sqs.arnOf(queueUrl), handlers });
  return {
    sqs, queueUrl, deadLetterQueueUrl, tableName, receiver, poller, environment,
    async close() {
      await poller.stop();
      client.destroy();
      await Promise.all([sqs.close(), receiver?.close()]);
    },
  };
}
