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
 * Durable notifications, locally (what `npm start` runs). `startLocalNotificationQueues`: the
 * notifications table in the local DynamoDB and a loopback SQS with the delivery queue and its
 * dead-letter queue (startLocalAws starts them, so every function finds them). `startLocalDelivery`:
 * a poller running the delivery function's handler over the queue with real SQS events, and a
 * receiver that verifies signatures and prints each event.
 */

export interface LocalNotificationQueues {
  readonly sqs: LocalSqs;
  readonly tableName: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** NOTIFICATIONS_TABLE_NAME, NOTIFICATIONS_QUEUE_URL, NOTIFICATIONS_DLQ_URL, AWS_ENDPOINT_URL_SQS. */
  readonly environment: Record<string, string>;
  close(): Promise<void>;
}

export async function startLocalNotificationQueues(dynamo: LocalDynamo): Promise<LocalNotificationQueues> {
  const tableName = await createLocalNotificationsTable(dynamo.client);
  const sqs = await startLocalSqs();
  const deadLetterQueueUrl = sqs.createQueue('ix-sequences-local-notifications-dlq');
  // As the stack sets it: high enough that the retry schedule, not the receive count, decides.
  const queueUrl = sqs.createQueue('ix-sequences-local-notifications', { deadLetterQueueUrl, maxReceiveCount: 100 });
  const environment = {
    AWS_ENDPOINT_URL_SQS: sqs.url,
    NOTIFICATIONS_TABLE_NAME: tableName,
    NOTIFICATIONS_QUEUE_URL: queueUrl,
    NOTIFICATIONS_DLQ_URL: deadLetterQueueUrl,
  };
  return { sqs, tableName, queueUrl, deadLetterQueueUrl, environment, close: () => sqs.close() };
}

export interface LocalDelivery {
  readonly receiver: LocalReceiver | undefined;
  readonly poller: QueuePoller;
  /** IX_WEBHOOKS (and WEBHOOK_RETRY_SCHEDULE when given), as the delivery function reads them. */
  readonly environment: Record<string, string>;
  close(): Promise<void>;
}

export interface LocalDeliveryOptions {
  queues: LocalNotificationQueues;
  dynamo: LocalDynamo;
  /** IX_WEBHOOKS (the deployed configuration's JSON). Default: the local receiver, with a fresh secret. */
  webhooks?: string | undefined;
  /** WEBHOOK_RETRY_SCHEDULE (comma-separated seconds); default the production schedule. */
  retrySchedule?: string | undefined;
  /** The local receiver (false: none). It accepts every secret of `webhooks`. */
  receiver?: false | { port?: number; behaviour?: ReceiverBehaviour; print?: (line: string) => void };
  /**
   * 'module' (npm start): functions/notification-delivery.ts as deployed, one container;
   * 'fresh': `concurrency` handlers built from the environment, like as many containers (tests, bench).
   */
  handler?: 'module' | 'fresh';
  logger?: DeliveryLogger;
  /** Where the environment is assigned before the handler loads (default process.env). */
  target?: Record<string, string | undefined>;
  concurrency?: number;
}

const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

async function loadHandlers(options: LocalDeliveryOptions, env: Record<string, string | undefined>, sqs: SQSClient): Promise<DeliveryHandler[]> {
  if (options.handler === 'fresh') {
    const logger = options.logger ?? (await import('../shared/runtime/logger.ts')).logger;
    return Array.from({ length: options.concurrency ?? 2 }, () => createDeliveryHandler({ env, logger, sqs, dynamo: options.dynamo.client }));
  }
  return [((await import('../functions/notification-delivery.ts')) as { handler: DeliveryHandler }).handler];
}

export async function startLocalDelivery(options: LocalDeliveryOptions): Promise<LocalDelivery> {
  const { queues } = options;
  const ownSecret = newSecret();
  const secrets =
    options.webhooks === undefined ? [ownSecret] : parseEndpoints(options.webhooks).flatMap((e) => [e.secret, ...(e.previousSecret ? [e.previousSecret] : [])]);
  const receiver = options.receiver === false ? undefined : await startLocalReceiver({ secrets, ...options.receiver });
  const webhooks = options.webhooks ?? JSON.stringify(receiver ? [{ url: receiver.url, secret: ownSecret }] : []);
  const environment: Record<string, string> = {
    IX_WEBHOOKS: webhooks,
    ...(options.retrySchedule === undefined ? {} : { WEBHOOK_RETRY_SCHEDULE: options.retrySchedule }),
  };
  const target = options.target ?? process.env;
  Object.assign(target, queues.environment, environment);
  const client = new SQSClient({ endpoint: queues.sqs.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const handlers = await loadHandlers(options, { ...process.env, ...target, LOCAL_RUN: 'true' }, client);
  const poller = startQueuePoller({ sqs: client, queueUrl: queues.queueUrl, queueArn: queues.sqs.arnOf(queues.queueUrl), handlers });
  return {
    receiver,
    poller,
    environment,
    async close() {
      await poller.stop();
      client.destroy();
      await receiver?.close();
    },
  };
}

/**
 * For `npm start` (local/start.ts calls it after startLocalAws, with process.env already holding
 * localAws.environment): the delivery over the local queue, configured the way a person rehearses
 * it. IX_WEBHOOKS (JSON, the deployed configuration's shape) and WEBHOOK_RETRY_SCHEDULE as given;
 * the local receiver on RECEIVER_PORT (default: any free port) refusing the first
 * RECEIVER_REFUSE_FIRST attempts of every webhook-id (default 0), printing each delivery. Without
 * IX_WEBHOOKS, the one endpoint is that receiver. Returns the banner's lines.
 */
export async function startNpmStartDelivery(
  queues: LocalNotificationQueues,
  dynamo: LocalDynamo,
  env: Record<string, string | undefined> = process.env,
  print: (line: string) => void = (line) => console.log(line),
): Promise<{ delivery: LocalDelivery; banner: string[] }> {
  const refuseFirst = Number(env['RECEIVER_REFUSE_FIRST'] ?? '0');
  const port = Number(env['RECEIVER_PORT'] ?? '0');
  const webhooks = env['IX_WEBHOOKS'] === undefined || env['IX_WEBHOOKS'].trim() === '' ? undefined : env['IX_WEBHOOKS'];
  const delivery = await startLocalDelivery({
    queues,
    dynamo,
    webhooks,
    retrySchedule: env['WEBHOOK_RETRY_SCHEDULE'],
    receiver: { port: Number.isInteger(port) ? port : 0, behaviour: { refuseFirst: Number.isInteger(refuseFirst) ? refuseFirst : 0 }, print },
  });
  const endpoints = parseEndpoints(delivery.environment['IX_WEBHOOKS'] ?? '[]');
  const banner = [
    `Webhooks: ${String(endpoints.length)} endpoint(s) (${endpoints.map((e) => new URL(e.url).host).join(', ') || 'none'}), retry schedule ${env['WEBHOOK_RETRY_SCHEDULE'] ?? 'production (5 s … 12 h, 4 days)'}`,
    `Local receiver: ${delivery.receiver?.url ?? 'none'} (verifies Standard Webhooks signatures${refuseFirst > 0 ? `, refuses the first ${String(refuseFirst)} attempts of every event` : ''})`,
  ];
  return { delivery, banner };
}
