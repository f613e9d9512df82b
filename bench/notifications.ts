import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startLocalDynamo } from '../local/dynamodb.ts';
import { startLocalDelivery, startLocalNotificationQueues } from '../local/notifications.ts';
import { printingBus } from '../shared/notifications/event-bus.ts';
import { NotificationEventSchema } from '../shared/notifications/model.ts';
import { dynamoDbSequenceNumbers, sqsEventQueue } from '../shared/notifications/publish-adapters.ts';
import { createPublisher } from '../shared/notifications/publisher.ts';
import { median, percentile } from './stats.ts';

/**
 * From change to first attempt, through the local queue: for each event, the clock starts when
 * the publisher's work starts (its sequence number reserved in the notifications table on
 * dynalite, the event's message sent to the loopback SQS, the bus: all as publisher.ts does, through
 * the real SDK) and stops when the local receiver gets the first POST: the poller has handed the
 * event's message to the delivery function's own handler (functions/notification-delivery.ts, one
 * container), which fanned it out (a notification put, its message queued), got that message back,
 * read the table, signed and sent.
 * Events are spaced (`--gap-ms`) so each one measures latency, not a queue backlog.
 * `node bench/notifications.ts [--events 300] [--gap-ms 20]`.
 */

export interface ChangeToFirstAttempt {
  events: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Of it, the publisher's part (counter, queue, bus). */
  publishP50Ms: number;
  publishP99Ms: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureChangeToFirstAttempt(options: { events: number; gapMs: number; warmup?: number }): Promise<ChangeToFirstAttempt> {
  const dynamo = await startLocalDynamo();
  const queues = await startLocalNotificationQueues(dynamo);
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    LOCAL_RUN: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  const delivery = await startLocalDelivery({ queues, dynamo, handler: 'module' });
  const sqs = new SQSClient({ endpoint: queues.sqs.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const numbers = dynamoDbSequenceNumbers({ tableName: queues.tableName, client: dynamo.client });
  const publisher = createPublisher({ queue: sqsEventQueue({ queueUrl: queues.queueUrl, client: sqs }), bus: printingBus(() => undefined), numbers });
  const receiver = delivery.receiver;
  if (receiver === undefined) throw new Error('no local receiver');
  const started = new Map<string, number>();
  const published: number[] = [];
  const total = options.events + (options.warmup ?? 20);
  for (let index = 0; index < total; index++) {
    const t0 = performance.now();
    const [sequenceNumber] = await numbers.reserve('bench', 1);
    const event = NotificationEventSchema.parse({
      id: `evt_bench_${String(index)}`,
      type: 'serie.activated',
      timestamp: new Date().toISOString(),
      data: { version: 1, account: 'bench', stage: 'bench', sequenceNumber },
    });
    const report = await publisher.publish([event]);
    if (!report.queued) throw new Error(`not queued: ${(report.problems ?? []).join('; ')}`);
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
    events: options.events,
    p50Ms: median(latencies),
    p99Ms: percentile(latencies, 99),
    maxMs: Math.max(...latencies),
    publishP50Ms: median(published),
    publishP99Ms: percentile(published, 99),
  };
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '300' }, 'gap-ms': { type: 'string', default: '20' } } });
  const result = await measureChangeToFirstAttempt({ events: Number(values.events), gapMs: Number(values['gap-ms']) });
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  console.log(
    `Change to first attempt through the local queue (Node ${process.version}, ${String(cpus().length)} cores, load ${loadavg()[0]?.toFixed(2) ?? '?'}), ${String(result.events)} events:`,
  );
  console.log('| | p50 | p99 | max |\n|---|---|---|---|');
  console.log(`| change → first attempt received | ${ms(result.p50Ms)} | ${ms(result.p99Ms)} | ${ms(result.maxMs)} |`);
  console.log(`| of which the publisher (counter + queue + bus) | ${ms(result.publishP50Ms)} | ${ms(result.publishP99Ms)} | |`);
  process.exit(0);
}
