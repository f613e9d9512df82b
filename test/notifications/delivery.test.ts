import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import { listenOnLoopback } from '../../sandbox/loopback.ts';
import { attemptDelivery } from '../../shared/notifications/attempt.ts';
import { deliverNotification, DISABLE_AFTER_FAILING_MS } from '../../shared/notifications/delivery.ts';
import type { DeliveryDeps } from '../../shared/notifications/delivery.ts';
import type { WebhookEndpoint } from '../../shared/notifications/model.ts';
import type { NotificationStore } from '../../shared/notifications/store.ts';
import { capturingLogger, OLD_SECRET, pending, SECRET, startNotificationsTable, testEndpoint, testEvent } from './support.ts';

/** One message's processing against a real HTTP receiver and the table on dynalite. */

type Answer = (request: IncomingMessage, response: ServerResponse) => void;
let answer: Answer = (_request, response) => response.writeHead(204).end();
let posts = 0;
let receiverUrl = '';
const server = createServer((request, response) => {
  posts += 1;
  request.resume();
  request.on('end', () => answer(request, response));
});

let dynamo: LocalDynamo;
let store: NotificationStore;
beforeAll(async () => {
  ({ dynamo, store } = await startNotificationsTable());
  receiverUrl = await listenOnLoopback(server);
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await dynamo.close();
});

function rig(endpoint: WebhookEndpoint, options: { waits?: number[]; now?: () => Date; timeoutMs?: number } = {}) {
  const log = capturingLogger();
  const deadLetters: string[] = [];
  const deps: DeliveryDeps = {
    store,
    endpoints: { all: () => Promise.resolve([endpoint]), byId: (id) => Promise.resolve(id === endpoint.id ? endpoint : undefined) },
    deadLetters: { send: (id) => Promise.resolve(void deadLetters.push(id)) },
    waits: options.waits ?? [5, 300],
    attempt: (target, event) =>
      attemptDelivery(target, event, {
        localRun: true,
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.now ? { now: options.now } : {}),
      }),
    logger: log,
    random: () => 0.5,
    ...(options.now ? { now: options.now } : {}),
  };
  return { deps, log, deadLetters };
}

let endpointCounter = 0;
function freshEndpoint(extra: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  endpointCounter += 1;
  return testEndpoint({ url: `${receiverUrl}/hook-${String(endpointCounter)}?token=url-token-secret`, ...extra });
}

async function queued(endpoint: WebhookEndpoint, at = new Date()) {
  const notification = pending(testEvent(), endpoint, at);
  await store.putNew(notification);
  return notification;
}

describe('delivering one notification', () => {
  it('delivers on a 2xx and records the attempt; a second message for it does nothing', async () => {
    answer = (_request, response) => response.writeHead(200).end('ok');
    const endpoint = freshEndpoint();
    const { deps } = rig(endpoint);
    const notification = await queued(endpoint);
    expect(await deliverNotification(deps, notification.id)).toEqual({ kind: 'done', reason: 'delivered' });
    const stored = await store.get(notification.id);
    expect(stored).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(stored?.nextAttemptAt).toBeUndefined();
    expect(await store.attempts(notification.id)).toMatchObject([{ number: 1, status: 200, outcome: 'delivered', answer: 'ok' }]);
    const before = posts;
    expect(await deliverNotification(deps, notification.id)).toEqual({ kind: 'done', reason: 'already delivered' });
    expect(posts).toBe(before);
  });

  it('a failure waits the schedule; a message back too early waits again without a POST', async () => {
    answer = (_request, response) => response.writeHead(500).end();
    const endpoint = freshEndpoint();
    const { deps } = rig(endpoint, { waits: [300] });
    const notification = await queued(endpoint);
    expect(await deliverNotification(deps, notification.id)).toEqual({ kind: 'wait', seconds: 300 });
    const before = posts;
    const again = await deliverNotification(deps, notification.id);
    expect(again.kind === 'wait' && again.seconds).toBeGreaterThan(298);
    expect(posts).toBe(before);
  });

  it('3xx is a failure (never followed); 429 and 503 wait at least their Retry-After', async () => {
    const endpoint = freshEndpoint();
    answer = (_request, response) => response.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    const redirected = await queued(endpoint);
    await deliverNotification(rig(endpoint).deps, redirected.id);
    expect(await store.attempts(redirected.id)).toMatchObject([{ status: 302, outcome: 'retry', problem: 'answered 302 (redirects are not followed)' }]);
    answer = (_request, response) => response.writeHead(429, { 'retry-after': '120' }).end();
    const limited = await queued(endpoint);
    expect(await deliverNotification(rig(endpoint, { waits: [5] }).deps, limited.id)).toEqual({ kind: 'wait', seconds: 120 });
    answer = (_request, response) => response.writeHead(503, { 'retry-after': '2' }).end();
    const unavailable = await queued(endpoint);
    expect(await deliverNotification(rig(endpoint, { waits: [300] }).deps, unavailable.id)).toEqual({ kind: 'wait', seconds: 300 });
  });

  it('a receiver that does not answer within the timeout is a failure', async () => {
    answer = () => undefined; // never answers
    const endpoint = freshEndpoint();
    const notification = await queued(endpoint);
    await deliverNotification(rig(endpoint, { timeoutMs: 300 }).deps, notification.id);
    expect(await store.attempts(notification.id)).toMatchObject([{ outcome: 'retry', problem: 'timeout after 0.3 s' }]);
  });

  it('the schedule exhausted: failed, sent to the dead-letter queue, one alarm line', async () => {
    answer = (_request, response) => response.writeHead(500).end();
    const endpoint = freshEndpoint();
    const { deps, deadLetters, log } = rig(endpoint, { waits: [0] });
    const notification = await queued(endpoint);
    expect(await deliverNotification(deps, notification.id)).toEqual({ kind: 'wait', seconds: 0 });
    expect(await deliverNotification(deps, notification.id)).toEqual({ kind: 'done', reason: 'exhausted' });
    expect(await store.get(notification.id)).toMatchObject({ status: 'failed', attempts: 2, lastProblem: 'answered 500' });
    expect(deadLetters).toEqual([notification.id]);
    expect(log.lines.filter((line) => line.includes('"alarm":"notification_failed"'))).toHaveLength(1);
  });

  it('410 disables the endpoint; its later notifications fail without a POST', async () => {
    answer = (_request, response) => response.writeHead(410).end();
    const endpoint = freshEndpoint();
    const { deps, log } = rig(endpoint);
    const first = await queued(endpoint);
    expect(await deliverNotification(deps, first.id)).toEqual({ kind: 'done', reason: 'gone' });
    expect(await store.get(first.id)).toMatchObject({ status: 'failed' });
    expect(await store.endpointState(endpoint.id)).toMatchObject({ disabledReason: 'gone' });
    expect(log.lines.some((line) => line.includes('"alarm":"webhook_endpoint_disabled"'))).toBe(true);
    const before = posts;
    const second = await queued(endpoint);
    expect(await deliverNotification(deps, second.id)).toEqual({ kind: 'done', reason: 'endpoint disabled (gone)' });
    expect(posts).toBe(before);
    expect(await store.get(second.id)).toMatchObject({ status: 'failed', attempts: 0, lastProblem: 'endpoint disabled (gone)' });
  });

  it('an endpoint with nothing but failures for 5 days is disabled; a success before that clears the count', async () => {
    answer = (_request, response) => response.writeHead(500).end();
    const endpoint = freshEndpoint();
    const start = Date.parse('2030-03-01T00:00:00.000Z');
    let now = start;
    const { deps } = rig(endpoint, { waits: Array.from({ length: 20 }, () => 43_200), now: () => new Date(now) });
    await deliverNotification(deps, (await queued(endpoint, new Date(now))).id);
    expect(await store.endpointState(endpoint.id)).toEqual({ endpointId: endpoint.id, failingSince: new Date(start).toISOString() });
    now = start + DISABLE_AFTER_FAILING_MS - 60_000;
    await deliverNotification(deps, (await queued(endpoint, new Date(now))).id);
    expect((await store.endpointState(endpoint.id))?.disabledAt).toBeUndefined();
    now = start + DISABLE_AFTER_FAILING_MS;
    await deliverNotification(deps, (await queued(endpoint, new Date(now))).id);
    expect(await store.endpointState(endpoint.id)).toMatchObject({ disabledReason: 'failing', disabledAt: new Date(now).toISOString() });

    const healthy = freshEndpoint();
    const other = rig(healthy, { now: () => new Date(now) });
    await deliverNotification(other.deps, (await queued(healthy, new Date(now))).id);
    answer = (_request, response) => response.writeHead(204).end();
    await deliverNotification(other.deps, (await queued(healthy, new Date(now))).id);
    expect(await store.endpointState(healthy.id)).toEqual({ endpointId: healthy.id });
  });

  it('no secret, signature or URL token in the delivery log, the stored answer or the log lines', async () => {
    // A receiver that echoes everything it got, the signature headers included, and its secret.
    answer = (request, response) => response.writeHead(500).end(`${JSON.stringify(request.headers)} ${SECRET} ${OLD_SECRET.slice(6)}`);
    const endpoint = freshEndpoint({ previousSecret: OLD_SECRET, previousSecretUntil: new Date(Date.now() + 60_000).toISOString() });
    const { deps, log } = rig(endpoint);
    const notification = await queued(endpoint);
    await deliverNotification(deps, notification.id);
    const [attempt] = await store.attempts(notification.id);
    expect(attempt?.answer).toContain('[redacted]');
    const everything = JSON.stringify([attempt, await store.get(notification.id), log.lines]);
    for (const secret of [SECRET, SECRET.slice(6), OLD_SECRET, OLD_SECRET.slice(6), 'url-token-secret']) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/v1,[A-Za-z0-9+/]{20,}/);
    expect(attempt?.answer?.length).toBeLessThanOrEqual(1024);
  });
});
