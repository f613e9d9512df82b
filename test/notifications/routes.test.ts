import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDelivery } from '../../local/notifications.ts';
import type { LocalDelivery } from '../../local/notifications.ts';
import { routeResponses } from '../../shared/http/response-schemas.ts';
import { createNotificationsTable } from '../../shared/notifications/dynamodb-store.ts';
import { parseEndpoints } from '../../shared/notifications/endpoints.ts';
import { newNotification } from '../../shared/notifications/model.ts';
import type { Notification } from '../../shared/notifications/model.ts';
import { sqsNotificationQueue } from '../../shared/notifications/sqs-queue.ts';
import type { NotificationStore } from '../../shared/notifications/store.ts';
import { jsonBody, startApiHarness } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';
import { SQSClient } from '@aws-sdk/client-sqs';
import { capturingLogger, eventually, SECRET, testEndpoint, testEvent } from './support.ts';

/**
 * The delivery log routes through the real function modules (API Gateway events, env parsed at
 * import), the notifications table on dynalite and the loopback SQS; the redelivery of a
 * notification whose receiver stayed down for the whole schedule, delivered by the local poller.
 */

let api: ApiHarness;
let store: NotificationStore;
let delivery: LocalDelivery;
let sqs: SQSClient;
const log = capturingLogger();
beforeAll(async () => {
  api = await startApiHarness();
  store = createNotificationsTable({ tableName: api.notifications.tableName, client: api.dynamo.client });
  delivery = await startLocalDelivery({
    queues: api.notifications,
    dynamo: api.dynamo,
    retrySchedule: '1,1',
    receiver: { behaviour: { down: true } },
    handler: 'fresh',
    logger: log,
    target: {},
  });
  sqs = new SQSClient({ endpoint: api.notifications.sqs.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}, 30_000);
afterAll(async () => {
  sqs.destroy();
  await delivery.close();
  await api.close();
});

const endpoint = testEndpoint({ url: 'https://hooks.example.com/ix/very-secret-path?token=t0k3n' });

async function stored(overrides: Partial<Notification>): Promise<Notification> {
  const notification = { ...newNotification(testEvent(), endpoint, new Date()), ...overrides };
  await store.putNew(notification);
  return notification;
}

function checkBody(name: Parameters<ApiHarness['invoke']>[0], json: unknown): void {
  expect(routeResponses[name].schema.safeParse(json).success, name).toBe(true);
}

describe('the delivery log routes', () => {
  it('GET /notifications lists by status and since, newest first, host only, in pages', async () => {
    const since = new Date().toISOString();
    const failed = await stored({ status: 'failed', attempts: 13, lastProblem: 'answered 500' });
    await stored({ status: 'delivered', attempts: 1 });
    const answer = await api.invoke('listNotifications', { query: { status: ['failed'], since: [since] } });
    expect(answer.status).toBe(200);
    checkBody('listNotifications', answer.json);
    expect(answer.json['notifications']).toEqual([
      expect.objectContaining({ id: failed.id, type: 'serie.activated', endpoint: 'hooks.example.com', status: 'failed', attempts: 13 }),
    ]);
    const all = await api.invoke('listNotifications', { query: { since: [since], limit: ['1'] } });
    expect(all.json['notifications']).toHaveLength(1);
    expect(typeof all.json['nextToken']).toBe('string');
    expect(answer.text).not.toContain('very-secret-path');
    expect(answer.text).not.toContain('t0k3n');
  });

  it('refuses a bad status, a bad date, a limit out of range, a foreign token (400)', async () => {
    const queries: Record<string, string[]>[] = [
      { status: ['lost'] },
      { since: ['yesterday'] },
      { limit: ['500'] },
      { nextToken: ['bm90LWEta2V5'] },
      { other: ['1'] },
    ];
    for (const query of queries) {
      const answer = await api.invoke('listNotifications', { query });
      expect(answer.status, JSON.stringify(query)).toBe(400);
      expect(answer.json['error']).toMatchObject({ code: 'invalid_request' });
    }
  });

  it('GET /notifications/{id}: the event and its attempts; 404 for an unknown id, 400 for a malformed one', async () => {
    const notification = await stored({});
    const answer = await api.invoke('getNotification', { pathParameters: { id: encodeURIComponent(notification.id) } });
    expect(answer.status).toBe(200);
    checkBody('getNotification', answer.json);
    expect(answer.json).toMatchObject({ notification: { id: notification.id, event: notification.event }, attempts: [] });
    expect((await api.invoke('getNotification', { pathParameters: { id: 'evt_none_1.ep_none' } })).status).toBe(404);
    expect((await api.invoke('getNotification', { pathParameters: { id: 'no-dot' } })).status).toBe(400);
  });

  it('POST /notifications/{id}/redeliver refuses a notification already pending (409) and an unknown one (404)', async () => {
    const notification = await stored({});
    const answer = await api.invoke('redeliverNotification', { pathParameters: { id: notification.id } });
    expect(answer.status).toBe(409);
    expect(answer.json['error']).toMatchObject({ code: 'invalid_state' });
    expect((await api.invoke('redeliverNotification', { pathParameters: { id: 'evt_none_1.ep_none' } })).status).toBe(404);
  });

  it('POST /notifications/redeliver takes failed ones of a time range, skipping disabled endpoints', async () => {
    const since = new Date(Date.now() + 1).toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const disabled = testEndpoint({ url: 'https://gone.example.com/' });
    await store.saveEndpointState({ endpointId: disabled.id, disabledAt: new Date().toISOString(), disabledReason: 'gone' });
    const mine = [await stored({ status: 'failed', endpointId: 'ep_other' }), await stored({ status: 'failed' })];
    const skipped = { ...newNotification(testEvent(), disabled, new Date()), status: 'failed' as const };
    await store.putNew(skipped);
    const answer = await api.invoke('redeliverNotifications', jsonBody({ status: 'failed', since }));
    expect(answer.status).toBe(200);
    checkBody('redeliverNotifications', answer.json);
    expect(answer.json).toEqual({ redelivered: [mine[1]?.id, mine[0]?.id], skipped: 1, truncated: false });
    expect(await store.get(mine[0]?.id ?? '')).toMatchObject({ status: 'pending', roundAttempts: 0 });
    expect((await api.invoke('redeliverNotifications', jsonBody({ status: 'delivered', since }))).status).toBe(400);
  });

  it('a receiver down for the whole schedule: failed (dead-letter queue), then delivered by POST /notifications/{id}/redeliver', async () => {
    const receiver = delivery.receiver;
    const [local] = parseEndpoints(delivery.environment['IX_WEBHOOKS'] ?? '[]');
    if (receiver === undefined || local === undefined) throw new Error('no receiver');
    const notification = newNotification(testEvent(), local, new Date());
    await store.putNew(notification);
    await sqsNotificationQueue(api.notifications.queueUrl, sqs).send(notification.id);
    await eventually(async () => (await store.get(notification.id))?.status === 'failed', 20_000);
    expect(
      receiver
        .deliveries()
        .filter((d) => d.webhookId === notification.event.id)
        .map((d) => d.answered),
    ).toEqual([503, 503, 503]);
    expect(api.notifications.sqs.bodies(api.notifications.deadLetterQueueUrl)).toContain(JSON.stringify({ notificationId: notification.id }));
    const failedList = await api.invoke('listNotifications', { query: { status: ['failed'] } });
    expect(failedList.json['notifications']).toEqual(expect.arrayContaining([expect.objectContaining({ id: notification.id, attempts: 3 })]));

    receiver.setBehaviour({});
    const answer = await api.invoke('redeliverNotification', { pathParameters: { id: notification.id } });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ notification: { id: notification.id, status: 'pending', attempts: 3 } });
    await eventually(async () => (await store.get(notification.id))?.status === 'delivered', 20_000);
    const forId = receiver.deliveries().filter((d) => d.webhookId === notification.event.id);
    expect(forId.map((d) => d.answered)).toEqual([503, 503, 503, 204]);
    expect(forId.every((d) => d.verified)).toBe(true);
    const detail = await api.invoke('getNotification', { pathParameters: { id: notification.id } });
    expect((detail.json['attempts'] as { outcome: string }[]).map((a) => a.outcome)).toEqual(['retry', 'retry', 'failed', 'delivered']);
    // No secret in any answer or delivery log line.
    for (const text of [detail.text, failedList.text, answer.text, ...log.lines, ...api.logs]) expect(text).not.toContain(SECRET.slice(6, 30));
    const secret = parseEndpoints(delivery.environment['IX_WEBHOOKS'] ?? '[]')[0]?.secret ?? '';
    for (const text of [detail.text, failedList.text, answer.text, ...log.lines, ...api.logs]) expect(text).not.toContain(secret.slice(6));
  }, 40_000);
});
