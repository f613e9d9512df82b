import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startLocalDynamo } from '../local/dynamodb.ts';
import { startLocalDelivery, startLocalNotificationQueues } from '../local/notifications.ts';
import { createNotificationsTable } from '../shared/notifications/dynamodb-store.ts';
import { parseEndpoints } from '../shared/notifications/endpoints.ts';
import { newNotification, NotificationEventSchema } from '../shared/notifications/model.ts';
import { sqsNotificationQueue } from '../shared/notifications/sqs-queue.ts';
import { median, percentile } from './stats.ts';

/**
 * From change to first attempt, through the local queue: for each event, the clock starts when
 * the publisher's work starts (the notification put in the table on dynalite, then its message
 * sent to the loopback SQS, both through the real SDK) and stops when the local receiver gets the
 * first POST, after the poller has handed the message to the delivery function's own handler
 * (functions/notification-delivery.ts, one container) and it has read the table, signed and sent.
 * Events are spaced (`--gap-ms`) so each one measures latency, not a queue backlog.
 * `node bench/notifications.ts [--events 300] [--gap-ms 20]`.
 */

export interface ChangeToFirstAttempt {
  events: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Of it, the publisher's part (put + send). */
  publishP50Ms: number;
  publishP99Ms: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureChangeToFirstAttempt(options: { events: number; gapMs: number; warmup?: number }): Promise<ChangeToFirstAttempt> {
  const dynamo = await startLocalDynamo();
  const queues = await startLocalNotificationQueues(dynamo);
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_ENDPOINT_URL_DYNAMODB: dynamo.url, LOCAL_RUN: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' });
  const delivery = await startLocalDelivery({ queues, dynamo, handler: 'module' });
  const sqs = new SQSClient({ endpoint: queues.sqs.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const store = createNotificationsTable({ tableName: queues.tableName, client: dynamo.client });
  const queue = sqsNotificationQueue(queues.queueUrl, sqs);
  const [endpoint] = parseEndpoints(delivery.environment['IX_WEBHOOKS'] ?? '[]');
  const receiver = delivery.receiver;
  if (endpoint === undefined || receiver === undefined) throw new Error('no local endpoint');
  const started = new Map<string, number>();
  const published: number[] = [];
  const total = options.events + (options.warmup ?? 20);
  for (let index = 0; index < total; index++) {
    const event = NotificationEventSchema.parse({ id: `evt_bench_${String(index)}`, type: 'serie.activated', timestamp: new Date().toISOString(), data: { version: 1, account: 'bench', stage: 'bench', sequenceNumber: index + 1 } });
    const t0 = performance.now();
    await store.putNew(newNotification(event, endpoint, new Date()));
    await queue.send(`${event.id}.${endpoint.id}`);
    if (index >= total - options.events) {
      started.set(event.id, t0);
      published.push(performance.now() - t0);
    }
    await sleep(options.gapMs);
  }
  const firstAttempts = (): Map<string, number> => {
    const first = new Map<string, number>();
    for (const received of receiver.deliveries()) if (!first.has(received.webhookId)) first.set(received.webhookId, received.receivedAt);
    return first;
  };
  for (let waited = 0; firstAttempts().size < total && waited < 30_000; waited += 50) await sleep(50);
  const first = firstAttempts();
  const latencies = [...started].map(([id, t0]) => (first.get(id) ?? Number.NaN) - t0);
  if (latencies.some((value) => Number.isNaN(value))) throw new Error('some events never reached the receiver');
  await delivery.close();
  sqs.destroy();
  await queues.close();
  await dynamo.close();
  return {
    events: options.events, p50Ms: median(latencies), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies),
    publishP50Ms: median(published), publishP99Ms: percentile(published, 99),
  };
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '300' }, 'gap-ms': { type: 'string', default: '20' } } });
  const result = await measureChangeToFirstAttempt({ events: Number(values.events), gapMs: Number(values['gap-ms']) });
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  console.log(`Change to first attempt through the local queue (Node ${process.version}, ${String(cpus().length)} cores, load ${loadavg()[0]?.toFixed(2) ?? '?'}), ${String(result.events)} events:`);
  console.log('| | p50 | p99 | max |\n|---|---|---|---|');
  console.log(`| change → first attempt received | ${ms(result.p50Ms)} | ${ms(result.p99Ms)} | ${ms(result.maxMs)} |`);
  console.log(`| of which the publisher (put + send) | ${ms(result.publishP50Ms)} | ${ms(result.publishP99Ms)} | |`);
  process.exit(0);
}
