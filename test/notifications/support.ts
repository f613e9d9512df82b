import { startLocalDynamo } from '../../local/dynamodb.ts';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import { createLocalNotificationsTable } from '../../local/notifications-table.ts';
import { createNotificationsTable } from '../../shared/notifications/dynamodb-store.ts';
import { newNotification, NotificationEventSchema, WebhookEndpointSchema } from '../../shared/notifications/model.ts';
import type { Notification, NotificationEvent, WebhookEndpoint, WebhookEndpointInput } from '../../shared/notifications/model.ts';
import type { NotificationStore } from '../../shared/notifications/store.ts';

/** Test helpers for the notifications: dynalite with the notifications table, events, endpoints. */

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const OLD_SECRET = 'whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0LTEyMzQ1';

export async function startNotificationsTable(): Promise<{ dynamo: LocalDynamo; store: NotificationStore; tableName: string }> {
  const dynamo = await startLocalDynamo();
  const tableName = await createLocalNotificationsTable(dynamo.client);
  return { dynamo, tableName, store: createNotificationsTable({ tableName, client: dynamo.client }) };
}

let counter = 0;
export function testEvent(overrides: Partial<NotificationEvent> = {}): NotificationEvent {
  counter += 1;
  return NotificationEventSchema.parse({
    id: `evt_test-${String(process.pid)}_${String(counter)}`,
    type: 'serie.activated',
    timestamp: new Date().toISOString(),
    data: { version: 1, account: 'acme', stage: 'test', sequenceNumber: counter, serie: '2027' },
    ...overrides,
  });
}

export function testEndpoint(input: Partial<WebhookEndpointInput> & { url: string }): WebhookEndpoint {
  return WebhookEndpointSchema.parse({ secret: SECRET, ...input });
}

export function pending(event: NotificationEvent, endpoint: WebhookEndpoint, at = new Date()): Notification {
  return newNotification(event, endpoint, at);
}

/** A logger that keeps every line as JSON text (to check that no secret is in the delivery log). */
export function capturingLogger() {
  const lines: string[] = [];
  const keep = (level: string) => (message: string, attributes: Record<string, unknown>) => void lines.push(JSON.stringify({ level, message, ...attributes }));
  return { lines, info: keep('info'), warn: keep('warn'), error: keep('error') };
}

/** A seeded PRNG (mulberry32): "random" receivers that fail the same way on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Polls `check` until it holds or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not within ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
