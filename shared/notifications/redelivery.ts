import type { Notification } from './model.ts';
import type { NotificationQueue, NotificationStore } from './store.ts';

/**
 * Redelivery (POST /notifications/{id}/redeliver, POST /notifications/redeliver): the
 * notification goes back to pending with a fresh round of the schedule, keeping its attempts and
 * its webhook-id, and a new queue message. A pending notification already has a message on its
 * way, so it is refused, unless its next attempt is long overdue (the message was lost). An
 * endpoint that is disabled is refused until an operator enables it again.
 */

/** A pending notification this far past its next attempt has lost its message. */
const STALE_PENDING_MS = 15 * 60 * 1000;
/** At most this many notifications per bulk request (the function answers within API Gateway's time). */
const MAX_BULK_REDELIVERIES = 500;

export interface RedeliveryDeps {
  store: NotificationStore;
  queue: NotificationQueue;
  now?: () => Date;
}

export type Redelivery = { kind: 'queued'; notification: Notification } | { kind: 'not_found' } | { kind: 'refused'; reason: string };

async function refusalOf(deps: RedeliveryDeps, notification: Notification, now: Date): Promise<string | undefined> {
  if (notification.status === 'pending') {
    const due = notification.nextAttemptAt === undefined ? 0 : Date.parse(notification.nextAttemptAt);
    if (now.getTime() - due < STALE_PENDING_MS) return `already pending (next attempt ${notification.nextAttemptAt ?? 'now'})`;
  }
  const state = await deps.store.endpointState(notification.endpointId);
  if (state?.disabledAt !== undefined) return `its endpoint is disabled (${state.disabledReason ?? 'by an operator'}) since ${state.disabledAt}`;
  return undefined;
}

export async function redeliverOne(deps: RedeliveryDeps, notificationId: string): Promise<Redelivery> {
  const now = (deps.now ?? (() => new Date()))();
  const notification = await deps.store.get(notificationId);
  if (notification === undefined) return { kind: 'not_found' };
  const refusal = await refusalOf(deps, notification, now);
  if (refusal !== undefined) return { kind: 'refused', reason: refusal };
  const at = now.toISOString();
  const again: Notification = { ...notification, status: 'pending', roundAttempts: 0, nextAttemptAt: at, redeliveredAt: at, updatedAt: at };
  delete again.deliveredAt;
  // Conditional on what was read: of two redeliveries at once, one queues a message.
  if (!(await deps.store.save(again, { status: notification.status, attempts: notification.attempts }))) {
    return { kind: 'refused', reason: 'it changed while being redelivered; read it again' };
  }
  await deps.queue.send(notification.id);
  return { kind: 'queued', notification: again };
}

export interface BulkRedelivery {
  /** Ids queued again, newest first. */
  redelivered: string[];
  /** Matching notifications refused (e.g. a disabled endpoint). */
  skipped: number;
  /** More matched than MAX_BULK_REDELIVERIES: send the same request again for the rest. */
  truncated: boolean;
}

/** Every failed notification created in [since, until], up to MAX_BULK_REDELIVERIES. */
export async function redeliverFailed(deps: RedeliveryDeps, range: { since: string; until?: string | undefined }): Promise<BulkRedelivery> {
  const result: BulkRedelivery = { redelivered: [], skipped: 0, truncated: false };
  let nextToken: string | undefined;
  do {
    const page = await deps.store.list({ status: 'failed', since: range.since, until: range.until, limit: 100, nextToken });
    const room = MAX_BULK_REDELIVERIES - result.redelivered.length;
    const batch = page.notifications.slice(0, room);
    // One page at a time, its notifications at once: 500 within API Gateway's time.
    const outcomes = await Promise.all(batch.map((notification) => redeliverOne(deps, notification.id)));
    outcomes.forEach((outcome, index) => {
      if (outcome.kind === 'queued') result.redelivered.push(batch[index]?.id ?? '');
      else result.skipped += 1;
    });
    if (page.notifications.length > room) return { ...result, truncated: true };
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return result;
}
