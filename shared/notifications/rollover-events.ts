import type { RunOutboxStore } from './run-outbox.ts';
import { createRunOutbox } from './run-outbox.ts';
import type { RunOutbox } from './run-outbox.ts';
import { publisherFromEnv } from './publish-adapters.ts';
import type { Publisher, PublishReport } from './publisher.ts';
import { draftsOfRun } from './events.ts';
import type { RolloverResult } from '../rollover/result.ts';
import type { RolloverTrigger } from '../rollover/schemas.ts';

/**
 * The rollover functions' outbox, from their environment. The stack gives every function that
 * runs rollovers the notification variables (infra/constructs/notifications.ts, checked by
 * test/infra); without NOTIFICATIONS_QUEUE_URL (the CLI, a test without a queue) runs tell nothing.
 */
export function rolloverOutboxFromEnv(
  store: RunOutboxStore,
  env: Record<string, string | undefined>,
): { outbox: RunOutbox; publisher: Publisher; stage: string } | undefined {
  if (env['NOTIFICATIONS_QUEUE_URL'] === undefined) return undefined;
  const { publisher, stage } = publisherFromEnv(env);
  return { outbox: createRunOutbox({ store, publisher }), publisher, stage };
}

/**
 * The events of a scheduled run that could not start (no record, no lock: nothing to put them
 * in): published at once, with ids from the year and the scheduled time, so a redelivered
 * invocation of the same schedule tells the same event (receivers drop it as a duplicate).
 */
export async function tellNotStarted(
  events: { publisher: Publisher; stage: string },
  result: RolloverResult,
  request: { trigger: RolloverTrigger; scheduledTime?: string | undefined },
  account: string,
): Promise<PublishReport | undefined> {
  const drafts = draftsOfRun(result, request.trigger);
  if (drafts.length === 0) return undefined;
  const origin = `notrun-${String(result.year)}-${(request.scheduledTime ?? result.startedAt).replace(/[^0-9TZ]/g, '')}`;
  try {
    return await events.publisher.publish(await events.publisher.seal(drafts, { account, stage: events.stage }, origin));
  } catch (error) {
    return { events: drafts.length, queued: false, onBus: false, problems: [`counter: ${error instanceof Error ? error.name : 'unknown error'}`] };
  }
}
