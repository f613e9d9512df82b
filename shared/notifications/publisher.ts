import * as z from '../zod.ts';
import { sealEvents } from './events.ts';
import type { EventContext, EventDraft, ServiceEvent } from './events.ts';
import { NotificationEventSchema, endpointWants, newNotification } from './model.ts';
import type { Notification, NotificationEvent, WebhookEndpoint } from './model.ts';
import type { NotificationStore } from './store.ts';
import type { EventBus } from './event-bus.ts';

/**
 * Publishing an event: a sequence number from the account's counter, then (in parallel) one
 * message on the notification queue and one entry on the event bus. The publishing functions
 * never see the endpoints (only the delivery function reads the webhooks secret): the queue
 * carries the event, and the delivery function fans it out into one notification per endpoint
 * (`fanOut`, conditional puts keyed by the event's deterministic id, so a republished event is
 * delivered once per endpoint). Costs a caller one DynamoDB write and one SQS send.
 */

/** The queue message that carries a new event (the delivery function fans it out). */
export const EventMessageSchema = z.strictObject({ event: NotificationEventSchema });
export type EventMessage = z.infer<typeof EventMessageSchema>;

/** The notification queue as publishers use it. */
export interface EventQueue {
  /** Sends one EventMessage per event; throws when any was not accepted. */
  sendEvents(events: readonly NotificationEvent[]): Promise<void>;
}

/** The account's event counter: `count` new numbers, increasing (one atomic write). */
export interface SequenceNumbers {
  reserve(account: string, count: number): Promise<number[]>;
}

export interface PublishReport {
  events: number;
  queued: boolean;
  onBus: boolean;
  /** What failed (a name and a message, never a secret). */
  problems?: string[];
}

export interface Publisher {
  /** Drafts made events: ids from `origin`, numbers from the counter. */
  seal(drafts: readonly EventDraft[], context: EventContext, origin: string, label?: (index: number) => number | string): Promise<ServiceEvent[]>;
  /** Queue and bus, in parallel. Never throws: the report says what did not go out. */
  publish(events: readonly NotificationEvent[]): Promise<PublishReport>;
}

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error');

export function createPublisher(deps: { queue: EventQueue; bus: EventBus; numbers: SequenceNumbers }): Publisher {
  return {
    async seal(drafts, context, origin, label) {
      if (drafts.length === 0) return [];
      const numbers = await deps.numbers.reserve(context.account, drafts.length);
      return sealEvents(drafts, context, numbers, origin, label);
    },

    async publish(events) {
      if (events.length === 0) return { events: 0, queued: true, onBus: true };
      const [queued, onBus] = await Promise.allSettled([deps.queue.sendEvents(events), deps.bus.put(events)]);
      const problems = [queued, onBus].flatMap((outcome, index) =>
        outcome.status === 'rejected' ? [`${index === 0 ? 'queue' : 'bus'}: ${describe(outcome.reason)}`] : [],
      );
      return {
        events: events.length,
        queued: queued.status === 'fulfilled',
        onBus: onBus.status === 'fulfilled',
        ...(problems.length > 0 ? { problems } : {}),
      };
    },
  };
}

/**
 * The delivery function's side of an EventMessage: one pending notification per endpoint that
 * wants the event type, put only if absent. Returns the notifications to attempt: the new ones,
 * and those a previous fan-out of the same event put but never attempted (it died before).
 */
export async function fanOut(
  event: NotificationEvent,
  endpoints: readonly WebhookEndpoint[],
  store: Pick<NotificationStore, 'putNew' | 'get'>,
  now: Date,
): Promise<Notification[]> {
  const wanted = endpoints.filter((endpoint) => endpointWants(endpoint, event.type));
  const outcomes = await Promise.all(
    wanted.map(async (endpoint) => {
      const fresh = newNotification(event, endpoint, now);
      if (await store.putNew(fresh)) return fresh;
      const existing = await store.get(fresh.id);
      return existing !== undefined && existing.status === 'pending' && existing.attempts === 0 ? existing : undefined;
    }),
  );
  return outcomes.filter((notification) => notification !== undefined);
}
