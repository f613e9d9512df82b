import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import type { Notification } from '../../shared/notifications/model.ts';
import { dynamoDbSequenceNumbers } from '../../shared/notifications/publish-adapters.ts';
import type { NotificationStore } from '../../shared/notifications/store.ts';
import { pending, startNotificationsTable, testEndpoint, testEvent } from './support.ts';

let dynamo: LocalDynamo;
let store: NotificationStore;
let tableName: string;
beforeAll(async () => {
  ({ dynamo, store, tableName } = await startNotificationsTable());
});
afterAll(() => dynamo.close());

const endpoint = testEndpoint({ url: 'https://hooks.example.com/ix?token=abc' });
const attempt = (number: number) => ({ number, at: new Date().toISOString(), status: 500, latencyMs: 12, outcome: 'retry' as const, problem: 'answered 500' });

describe('the notifications table on dynalite', () => {
  it('puts a notification once: a second put of the same id is refused and changes nothing', async () => {
    const notification = pending(testEvent(), endpoint);
    expect(await store.putNew(notification)).toBe(true);
    expect(await store.putNew({ ...notification, status: 'failed' })).toBe(false);
    expect(await store.get(notification.id)).toEqual(notification);
    expect(notification.endpointHost).toBe('hooks.example.com');
  });

  it('keeps the event as the exact JSON that is sent (key order included)', async () => {
    const event = testEvent({ data: { version: 1, account: 'acme', stage: 'test', sequenceNumber: 7, z: 1, a: { y: 2, b: 3 } } });
    const notification = pending(event, endpoint);
    await store.putNew(notification);
    expect(JSON.stringify((await store.get(notification.id))?.event)).toBe(JSON.stringify(event));
  });

  it('records attempts in order; of two deliveries recording the same attempt number, one wins', async () => {
    const notification = pending(testEvent(), endpoint);
    await store.putNew(notification);
    const after1: Notification = { ...notification, attempts: 1, roundAttempts: 1, lastProblem: 'answered 500' };
    const results = await Promise.all([store.recordAttempt(after1, attempt(1)), store.recordAttempt({ ...after1, lastProblem: 'other' }, attempt(1))]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.recordAttempt({ ...after1, attempts: 2 }, attempt(2))).toBe(true);
    expect((await store.attempts(notification.id)).map((a) => a.number)).toEqual([1, 2]);
    // A notification no longer pending takes no attempt.
    await store.save({ ...after1, attempts: 2, status: 'failed' });
    expect(await store.recordAttempt({ ...after1, attempts: 3 }, attempt(3))).toBe(false);
  });

  it('saves conditionally on the status and attempts it was read with', async () => {
    const notification = { ...pending(testEvent(), endpoint), status: 'failed' as const, attempts: 3 };
    await store.putNew(notification);
    expect(await store.save({ ...notification, status: 'pending' }, { status: 'failed', attempts: 3 })).toBe(true);
    expect(await store.save({ ...notification, status: 'pending' }, { status: 'failed', attempts: 3 })).toBe(false);
  });

  it('lists by status and creation time, newest first, in pages', async () => {
    const base = Date.parse('2030-01-01T00:00:00.000Z');
    const made: Notification[] = [];
    for (let index = 0; index < 5; index++) {
      const at = new Date(base + index * 1000);
      const notification = { ...pending(testEvent(), endpoint, at), status: index % 2 === 0 ? ('failed' as const) : ('delivered' as const) };
      made.push(notification);
      await store.putNew(notification);
    }
    const failed = await store.list({ status: 'failed', since: '2030-01-01T00:00:00.000Z' });
    expect(failed.notifications.map((n) => n.id)).toEqual([made[4]?.id, made[2]?.id, made[0]?.id]);
    const window = await store.list({ since: '2030-01-01T00:00:01.000Z', until: '2030-01-01T00:00:03.000Z' });
    expect(window.notifications.map((n) => n.id)).toEqual([made[3]?.id, made[2]?.id, made[1]?.id]);
    const first = await store.list({ since: '2030-01-01T00:00:00.000Z', limit: 2 });
    expect(first.notifications).toHaveLength(2);
    const second = await store.list({ since: '2030-01-01T00:00:00.000Z', limit: 2, nextToken: first.nextToken });
    expect(second.notifications.map((n) => n.id)).toEqual([made[2]?.id, made[1]?.id]);
    await expect(store.list({ nextToken: 'not-a-token' })).rejects.toThrow(RangeError);
  });

  it('keeps endpoint states and counts sequence numbers per account, increasing under concurrency', async () => {
    expect(await store.endpointState('ep_none')).toBeUndefined();
    await store.saveEndpointState({ endpointId: 'ep_x', failingSince: '2030-01-01T00:00:00.000Z' });
    expect(await store.endpointState('ep_x')).toEqual({ endpointId: 'ep_x', failingSince: '2030-01-01T00:00:00.000Z' });
    const counter = dynamoDbSequenceNumbers({ tableName, client: dynamo.client });
    const next = async (account: string): Promise<number> => (await counter.reserve(account, 1))[0] ?? 0;
    const numbers = await Promise.all(Array.from({ length: 20 }, () => next('acme')));
    expect(new Set(numbers).size).toBe(20);
    expect(Math.min(...numbers)).toBe(1);
    expect(await next('other')).toBe(1);
  });
});
