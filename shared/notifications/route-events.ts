import { logger } from '../runtime/logger.ts';
import type { EventDraft } from './events.ts';
import { publisherFromEnv } from './publish-adapters.ts';
import type { Publisher } from './publisher.ts';

/**
 * The events of the API's write routes (create, register, set_current), at the route's level:
 * after the change, one DynamoDB write (the account's sequence numbers) then the queue and the
 * bus in parallel, ids `evt_<requestId>_<n>`. Never fails the answer: the change is made, and a
 * publication that did not go out is logged (ERROR, `alarm: "event_not_published"`) with the
 * events, for an operator; the next rollover run tells the year's serie as it finds it.
 */
export interface RouteEvents {
  publish(drafts: readonly EventDraft[], origin: { account: string; requestId: string }): Promise<void>;
}

export function createRouteEvents(source: { publisher: Publisher; stage: string } | undefined): RouteEvents {
  return {
    async publish(drafts, origin) {
      if (source === undefined || drafts.length === 0) return;
      try {
        const events = await source.publisher.seal(drafts, { account: origin.account, stage: source.stage, requestId: origin.requestId }, origin.requestId);
        const report = await source.publisher.publish(events);
        if (!report.queued) logger.error('Events not published', { alarm: 'event_not_published', problems: report.problems, events });
        else if (!report.onBus) logger.warn('Events not put on the event bus', { problems: report.problems, eventIds: events.map((event) => event.id) });
      } catch (error) {
        logger.error('Events not published', {
          alarm: 'event_not_published',
          error: error instanceof Error ? error.name : 'unknown',
          types: drafts.map((draft) => draft.type),
        });
      }
    },
  };
}

/** A route's events from its environment; none without NOTIFICATIONS_QUEUE_URL (the stack always sets it: test/infra). */
export function routeEventsFromEnv(env: Record<string, string | undefined> = process.env): RouteEvents {
  return createRouteEvents(env['NOTIFICATIONS_QUEUE_URL'] === undefined ? undefined : publisherFromEnv(env));
}
