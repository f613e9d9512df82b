import { afterEach, describe, expect, it } from 'vitest';
import { startLocalDynamo } from '../../local/dynamodb.ts';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import { startLocalNotifications } from '../../local/notifications.ts';
import type { LocalNotifications } from '../../local/notifications.ts';
import { createNotificationsTable } from '../../shared/notifications/dynamodb-store.ts';
import { parseEndpoints } from '../../shared/notifications/endpoints.ts';
import { newNotification } from '../../shared/notifications/model.ts';
import type { Notification, NotificationStatus } from '../../shared/notifications/model.ts';
import { sqsNotificationQueue } from '../../shared/notifications/sqs-queue.ts';
import type { NotificationStore } from '../../shared/notifications/store.ts';
import type { ReceiverBehaviour } from '../../local/webhook-receiver.ts';
import { SQSClient } from '@aws-sdk/client-sqs';
import { capturingLogger, eventually, seededRandom, testEvent } from './support.ts';

/**
 * Delivery end to end, as `npm start` runs it: notifications put in the table (dynalite) and
 * queued on the loopback SQS, the delivery function's handler run over it by the local poller with
 * real SQS events, the local receiver verifying every signature with standardwebhooks.
 */

interface Rig {
  dynamo: LocalDynamo;
  notifications: LocalNotifications;
  store: NotificationStore;
  log: ReturnType<typeof capturingLogger>;
  publish(count: number): Promise<Notification[]>;
  close(): Promise<void>;
}

async function startRig(options: { schedule: string; behaviour: ReceiverBehaviour; concurrency?: number }): Promise<Rig> {
  const dynamo = await startLocalDynamo();
  const log = capturingLogger();
  const notifications = await startLocalNotifications({
    dynamo, retrySchedule: options.schedule, receiver: { behaviour: options.behaviour }, handler: 'fresh', logger: log, target: {}, concurrency: options.concurrency ?? 4,
  });
  const store = createNotificationsTable({ tableName: notifications.tableName, client: dynamo.client });
  const sqs = new SQSClient({ endpoint: notifications.sqs.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const queue = sqsNotificationQueue(notifications.queueUrl, sqs);
  const [endpoint] = parseEndpoints(notifications.environment['IX_WEBHOOKS'] ?? '[]');
  if (endpoint === undefined) throw new Error('no endpoint');
  // What the publisher does: the notification in the table, then its message on the queue.
  const publish = async (count: number): Promise<Notification[]> => {
    const made = Array.from({ length: count }, () => newNotification(testEvent(), endpoint, new Date()));
    for (let index = 0; index < made.length; index += 50) {
      await Promise.all(made.slice(index, index + 50).map(async (n) => {
        await store.putNew(n);
        await queue.send(n.id);
      }));
    }
    return made;
  };
  return {
    dynamo, notifications, store, log, publish,
    async close() {
      await notifications.close();
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
    const receiver = rig.notifications.receiver;
    if (receiver === undefined) throw new Error('no receiver');
    const succeeded = (): Set<string> => new Set(receiver.deliveries().filter((d) => d.answered < 300).map((d) => d.webhookId));
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
    expect(rig.notifications.sqs.bodies(rig.notifications.deadLetterQueueUrl)).toEqual([]);
    // The table's attempt counts agree with what the receiver saw.
    const sample = made.slice(0, 50);
    for (const n of sample) {
      const stored = await rig.store.get(n.id);
      expect(stored?.attempts).toBe(deliveries.filter((d) => d.webhookId === n.event.id).length);
    }
    console.log(`1,000 events: ${String(deliveries.length)} attempts, ${String(failures)} refused by the receiver, 0 lost`);
  }, 180_000);
});
