import type { RunOutboxStore } from './run-outbox.ts';
import { createRunOutbox } from './run-outbox.ts';
import type { RunOutbox } from './run-outbox.ts';
import { publisherFromEnv } from './publish-adapters.ts';

/**
 * The rollover functions' outbox, from their environment. The stack gives every function that
 * runs rollovers the notification variables (infra/constructs/notifications.ts, checked by
 * test/infra); without NOTIFICATIONS_QUEUE_URL (the CLI, a test without a queue) runs tell nothing.
 */
export function rolloverOutboxFromEnv(store: RunOutboxStore, env: Record<string, string | undefined>): { outbox: RunOutbox; stage: string } | undefined {
  if (env['NOTIFICATIONS_QUEUE_URL'] === undefined) return undefined;
  const { publisher, stage } = publisherFromEnv(env);
  return { outbox: createRunOutbox({ store, publisher }), stage };
}
