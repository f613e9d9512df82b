import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE } from './events.ts';
import type { NotificationEvent } from './model.ts';

/**
 * The stage's custom event bus (EventBridge): every event is put there too, source `ix-sequences`,
 * detail-type the event type, detail its data, so AWS consumers subscribe with rules and replay
 * from the archive. Locally (npm start) the bus prints each event instead.
 */
export interface EventBus {
  /** Throws when any entry was not accepted (the caller logs it: the webhooks do not depend on it). */
  put(events: readonly NotificationEvent[]): Promise<void>;
}

/** PutEvents takes at most this many entries per call. */
const ENTRIES_PER_CALL = 10;

function eventEntry(event: NotificationEvent, busName: string): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: EVENT_SOURCE,
    DetailType: event.type,
    Detail: JSON.stringify(event.data),
    Time: new Date(event.timestamp),
    // The event's own id, so a consumer can tell a republished event from a new one.
    Resources: [`${EVENT_SOURCE}:event/${event.id}`],
  };
}

export function eventBridgeBus(options: { busName: string; client?: EventBridgeClient }): EventBus {
  const client = options.client ?? new EventBridgeClient({});
  return {
    async put(events) {
      for (let start = 0; start < events.length; start += ENTRIES_PER_CALL) {
        const entries = events.slice(start, start + ENTRIES_PER_CALL).map((event) => eventEntry(event, options.busName));
        const answer = await client.send(new PutEventsCommand({ Entries: entries }));
        const failed = answer.FailedEntryCount ?? 0;
        if (failed > 0) {
          const codes = [...new Set((answer.Entries ?? []).map((entry) => entry.ErrorCode).filter((code) => code !== undefined))];
          throw new Error(`EventBridge refused ${String(failed)} of ${String(entries.length)} events (${codes.join(', ') || 'no code'})`);
        }
      }
    },
  };
}

/** npm start's bus: each event as EventBridge would get it, to `print`. */
export function printingBus(print: (line: string) => void): EventBus {
  return {
    async put(events) {
      for (const event of events) print(`[event bus] ${event.type} ${JSON.stringify({ source: EVENT_SOURCE, 'detail-type': event.type, detail: event.data })}`);
      await Promise.resolve();
    },
  };
}
