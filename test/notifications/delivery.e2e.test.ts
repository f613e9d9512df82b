import { afterEach, describe, expect, it } from 'vitest';
import { startLocalDynamo } from '../../local/dynamodb.ts';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import { startLocalDelivery, startLocalNotificationQueues } from '../../local/notifications.ts';
import type { LocalDelivery, LocalNotificationQueues } from '../../local/notifications.ts';
import { createNotificationsTable } from '../../shared/notifications/dynamodb-store.ts';
import { parseEndpoints } from '../../shared/notifications/endpoints.ts';
import { newNotification } from '../../shared/notifications/model.ts';
import type { Notification, NotificationStatus } from '../../shared/notifications/model.ts';
import { printingBus } from '../../shared/notifications/event-bus.ts';
import { dynamoDbSequenceNumbers, sqsEventQueue } from '../../shared/notifications/publish-adapters.ts';
import { createPublisher } from '../../shared/notifications/publisher.ts';
import type { NotificationStore } from '../../shared/notifications/store.ts';
import type { ReceiverBehaviour } from '../../local/webhook-receiver.ts';
import { SQSClient } from '@aws-sdk/client-sqs';
import { capturingLogger, eventually, seededRandom, testEvent } from './support.ts';

/**
 * Delivery end to end, as `npm start` runs it: events published as the service does (publisher.ts:
 * event messages on the loopback SQS), the delivery function's handler run over the queue by the
 * local poller with real SQS events (fanning each event out into a notification in the table on
 * dynalite, then attempting it), the local receiver verifying every signature with standardwebhooks.
 */

interface Rig {
  dynamo: LocalDynamo;
  queues: LocalNotificationQueues;
  delivery: LocalDelivery;
  store: NotificationStore;
  log: ReturnType<typeof capturingLogger>;
  publish(count: number): Promise<Notification[]>;
  close(): Promise<void>;
}

async function startRig(options: { schedule: string; behaviour: ReceiverBehaviour; concurrency?: number }): Promise<Rig> {
  const dynamo = await startLocalDynamo();
  const log = capturingLogger();
  const queues = await startLocalNotificationQueues(dynamo);
  const delivery = await startLocalDelivery({
    queues,
    dynamo,
    retrySchedule: options.schedule,
    receiver: { behaviour: options.behaviour },
    handler: 'fresh',
    logger: log,
    target: {},
    concurrency: options.concurrency ?? 4,
  });
  const store = createNotificationsTable({ tableName: queues.tableName, client: dynamo.client });
  const sqs = new SQSClient({ endpoint: queues.sqs.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const publisher = createPublisher({
    queue: sqsEventQueue({ queueUrl: queues.queueUrl, client: sqs }),
    bus: printingBus(() => undefined),
    numbers: dynamoDbSequenceNumbers({ tableName: queues.tableName, client: dynamo.client }),
  });
  const [endpoint] = parseEndpoints(delivery.environment['IX_WEBHOOKS'] ?? '[]');
  if (endpoint === undefined) throw new Error('no endpoint');
  // As the service publishes: event messages on the queue (publisher.ts), fanned out by the delivery function.
  const publish = async (count: number): Promise<Notification[]> => {
    const events = Array.from({ length: count }, () => testEvent());
    for (let index = 0; index < events.length; index += 100) {
      const report = await publisher.publish(events.slice(index, index + 100));
      if (!report.queued) throw new Error(`not queued: ${(report.problems ?? []).join('; ')}`);
    }
    return events.map((event) => newNotification(event, endpoint, new Date()));
  };
  return {
    dynamo,
    queues,
    delivery,
    store,
    log,
    publish,
    async close() {
      await delivery.close();
      await queues.close();
      sqs.destroy();
      await dynamo.close();
    },
  };
}

async function countByStatus(store: NotificationStore, status: NotificationStatus): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await store.list({ status, limit: 100, nextToken });
    count += page.notifications.length;
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return count;
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('delivery through the local queue', () => {
  it('1,000 events to a receiver failing at random half the time: every one delivered, one success per webhook-id, none lost', async () => {
    rig = await startRig({ schedule: Array.from({ length: 30 }, () => '1').join(','), behaviour: { failRate: 0.5, random: seededRandom(17) } });
    const made = await rig.publish(1000);
    const receiver = rig.delivery.receiver;
    if (receiver === undefined) throw new Error('no receiver');
    const succeeded = (): Set<string> =>
      new Set(
        receiver
          .deliveries()
          .filter((d) => d.answered < 300)
          .map((d) => d.webhookId),
      );
    await eventually(() => succeeded().size === 1000, 120_000, 250);
    await eventually(async () => (await countByStatus(rig!.store, 'delivered')) === 1000, 20_000, 250);

    const deliveries = receiver.deliveries();
    expect(deliveries.every((d) => d.verified)).toBe(true);
    const failures = deliveries.filter((d) => d.answered >= 300).length;
    expect(failures / deliveries.length).toBeGreaterThan(0.4);
    // Exactly one success per webhook-id, and nothing sent to it after that success.
    for (const id of new Set(made.map((n) => n.event.id))) {
      const forId = deliveries.filter((d) => d.webhookId === id);
      expect(forId.filter((d) => d.answered < 300)).toHaveLength(1);
      expect(forId.at(-1)?.answered).toBeLessThan(300);
    }
    expect(await countByStatus(rig.store, 'pending')).toBe(0);
    expect(await countByStatus(rig.store, 'failed')).toBe(0);
    expect(rig.queues.sqs.bodies(rig.queues.deadLetterQueueUrl)).toEqual([]);
    // The table's attempt counts agree with what the receiver saw.
    const sample = made.slice(0, 50);
    for (const n of sample) {
      const stored = await rig.store.get(n.id);
      expect(stored?.attempts).toBe(deliveries.filter((d) => d.webhookId === n.event.id).length);
    }
    console.log(`1,000 events: ${String(deliveries.length)} attempts, ${String(failures)} refused by the receiver, 0 lost`);
  }, 180_000);

  it('a receiver refusing the first three attempts of every event: each delivered on its fourth, every signature verified', async () => {
    rig = await startRig({ schedule: '1,1,1,1', behaviour: { refuseFirst: 3 }, concurrency: 2 });
    const made = await rig.publish(20);
    const receiver = rig.delivery.receiver;
    if (receiver === undefined) throw new Error('no receiver');
    await eventually(async () => (await countByStatus(rig!.store, 'delivered')) === 20, 30_000, 200);
    for (const n of made) {
      const forId = receiver.deliveries().filter((d) => d.webhookId === n.event.id);
      expect(forId.map((d) => d.answered)).toEqual([503, 503, 503, 204]);
      expect(forId.every((d) => d.verified && d.signatures === 1)).toBe(true);
      // A fresh timestamp on every attempt.
      expect(new Set(forId.map((d) => d.headers['webhook-signature'])).size).toBe(4);
    }
  }, 60_000);

  it('a malformed queue message is dropped with an alarm line, not retried forever', async () => {
    rig = await startRig({ schedule: '1', behaviour: {}, concurrency: 1 });
    const sqs = new SQSClient({ endpoint: rig.queues.sqs.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
    await sqs.send(new SendMessageCommand({ QueueUrl: rig.queues.queueUrl, MessageBody: '{"notificationId": 42}' }));
    await eventually(() => rig!.queues.sqs.bodies(rig!.queues.queueUrl).length === 0, 10_000);
    expect(rig.log.lines.some((line) => line.includes('"alarm":"malformed_delivery_message"'))).toBe(true);
    sqs.destroy();
  }, 20_000);
});
