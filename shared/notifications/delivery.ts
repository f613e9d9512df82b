import type { AttemptResult } from './attempt.ts';
import type { EndpointDirectory } from './endpoints.ts';
import type { DeliveryAttempt, EndpointState, Notification, NotificationEvent, WebhookEndpoint } from './model.ts';
import { nextWaitSeconds } from './schedule.ts';
import type { NotificationDeadLetterQueue, NotificationStore } from './store.ts';

/**
 * Processing one queue message: the table is the source of truth (never the message's receive
 * count). A notification that is not pending is done; one whose next attempt is later waits; an
 * endpoint removed from the configuration or disabled fails it. Otherwise one attempt, recorded,
 * and then: delivered; gone (410: the endpoint is disabled); or the next wait of the schedule
 * (at least the answer's Retry-After); the schedule exhausted, failed and sent to the dead-letter
 * queue. An endpoint with nothing but failures for 5 days is disabled.
 */

export const DISABLE_AFTER_FAILING_MS = 5 * 24 * 3_600 * 1000;

export type DeliveryDecision = { kind: 'done'; reason: string } | { kind: 'wait'; seconds: number };

/** The part of a logger delivery needs (Powertools' Logger fits). Never given a secret or a URL path. */
export interface DeliveryLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export interface DeliveryDeps {
  store: NotificationStore;
  endpoints: EndpointDirectory;
  deadLetters: NotificationDeadLetterQueue;
  /** Seconds between the attempts of a round (schedule.ts). */
  waits: readonly number[];
  attempt: (endpoint: WebhookEndpoint, event: NotificationEvent) => Promise<AttemptResult>;
  logger: DeliveryLogger;
  now?: () => Date;
  random?: () => number;
}

interface Outcome {
  notification: Notification;
  attempt: DeliveryAttempt;
  endpointState: EndpointState | undefined;
  decision: DeliveryDecision;
  deadLetter: boolean;
}

export async function deliverNotification(deps: DeliveryDeps, notificationId: string): Promise<DeliveryDecision> {
  const now = (deps.now ?? (() => new Date()))();
  const notification = await deps.store.get(notificationId);
  if (notification === undefined) return done('no such notification');
  if (notification.status !== 'pending') return done(`already ${notification.status}`);
  const dueInMs = notification.nextAttemptAt === undefined ? 0 : Date.parse(notification.nextAttemptAt) - now.getTime();
  if (dueInMs > 1000) return { kind: 'wait', seconds: Math.ceil(dueInMs / 1000) };

  const endpoint = await deps.endpoints.byId(notification.endpointId);
  const state = await deps.store.endpointState(notification.endpointId);
  const refusal =
    endpoint === undefined
      ? 'endpoint no longer configured'
      : state?.disabledAt !== undefined
        ? `endpoint disabled (${state.disabledReason ?? 'by an operator'})`
        : undefined;
  if (endpoint === undefined || refusal !== undefined) {
    await deps.store.save(
      { ...notification, status: 'failed', updatedAt: now.toISOString(), lastProblem: refusal },
      { status: 'pending', attempts: notification.attempts },
    );
    deps.logger.warn('Notification not attempted', { ...where(notification), problem: refusal });
    return done(refusal ?? 'refused');
  }

  const result = await deps.attempt(endpoint, notification.event);
  const outcome = decide(deps, notification, state, result, now);
  if (!(await deps.store.recordAttempt(outcome.notification, outcome.attempt))) return done('another delivery recorded this attempt');
  await afterAttempt(deps, outcome, state);
  return outcome.decision;
}

const done = (reason: string): DeliveryDecision => ({ kind: 'done', reason });

/** What a log line says of a notification: ids, type, host. */
function where(notification: Notification): Record<string, unknown> {
  return {
    notificationId: notification.id,
    eventId: notification.event.id,
    type: notification.event.type,
    endpoint: notification.endpointHost,
    endpointId: notification.endpointId,
  };
}

/** The notification, its attempt and the endpoint's state after one attempt (pure). */
function decide(
  deps: Pick<DeliveryDeps, 'waits' | 'random'>,
  notification: Notification,
  state: EndpointState | undefined,
  result: AttemptResult,
  now: Date,
): Outcome {
  const at = now.toISOString();
  const number = notification.attempts + 1;
  const roundAttempts = (notification.roundAttempts ?? notification.attempts) + 1;
  const base = { ...notification, attempts: number, roundAttempts, updatedAt: at };
  const record = (outcome: DeliveryAttempt['outcome']): DeliveryAttempt => ({
    number,
    at,
    latencyMs: result.latencyMs,
    outcome,
    ...(result.status === undefined ? {} : { status: result.status }),
    ...(result.problem === undefined ? {} : { problem: result.problem }),
    ...(result.answer === undefined ? {} : { answer: result.answer }),
  });
  const endpointId = notification.endpointId;
  if (result.outcome === 'delivered') {
    const delivered: Notification = { ...base };
    delete delivered.nextAttemptAt;
    delete delivered.lastProblem;
    const healed = state?.failingSince === undefined ? undefined : { endpointId };
    return {
      notification: { ...delivered, status: 'delivered', deliveredAt: at },
      attempt: record('delivered'),
      endpointState: healed,
      decision: done('delivered'),
      deadLetter: false,
    };
  }
  const failingSince = state?.failingSince ?? at;
  if (result.outcome === 'gone') {
    const gone: EndpointState = { endpointId, failingSince, disabledAt: at, disabledReason: 'gone' };
    return { notification: failed(base, result.problem), attempt: record('gone'), endpointState: gone, decision: done('gone'), deadLetter: false };
  }
  const failing: EndpointState =
    now.getTime() - Date.parse(failingSince) >= DISABLE_AFTER_FAILING_MS
      ? { endpointId, failingSince, disabledAt: at, disabledReason: 'failing' }
      : { endpointId, failingSince };
  const changed = state?.failingSince === undefined || failing.disabledAt !== undefined ? failing : undefined;
  const wait = nextWaitSeconds(deps.waits, roundAttempts, deps.random);
  if (wait === undefined) {
    return { notification: failed(base, result.problem), attempt: record('failed'), endpointState: changed, decision: done('exhausted'), deadLetter: true };
  }
  const seconds = Math.max(wait, result.retryAfterSeconds ?? 0);
  const next = {
    ...base,
    nextAttemptAt: new Date(now.getTime() + seconds * 1000).toISOString(),
    ...(result.problem === undefined ? {} : { lastProblem: result.problem }),
  };
  return { notification: next, attempt: record('retry'), endpointState: changed, decision: { kind: 'wait', seconds }, deadLetter: false };
}

function failed(notification: Notification, problem: string | undefined): Notification {
  const rest: Notification = { ...notification };
  delete rest.nextAttemptAt;
  return { ...rest, status: 'failed', ...(problem === undefined ? {} : { lastProblem: problem }) };
}

/** The log line, the endpoint's new state, the dead letter. */
async function afterAttempt(deps: DeliveryDeps, outcome: Outcome, before: EndpointState | undefined): Promise<void> {
  const { notification, attempt } = outcome;
  const line = {
    ...where(notification),
    attempt: attempt.number,
    status: attempt.status,
    outcome: attempt.outcome,
    latencyMs: attempt.latencyMs,
    problem: attempt.problem,
  };
  if (attempt.outcome === 'delivered') deps.logger.info('Notification attempt', line);
  else deps.logger.warn('Notification attempt', line);
  if (outcome.endpointState !== undefined) await deps.store.saveEndpointState(outcome.endpointState);
  if (outcome.endpointState?.disabledAt !== undefined && before?.disabledAt === undefined) {
    deps.logger.error('Webhook endpoint disabled', {
      alarm: 'webhook_endpoint_disabled',
      endpointId: notification.endpointId,
      endpoint: notification.endpointHost,
      reason: outcome.endpointState.disabledReason,
    });
  }
  if (outcome.deadLetter) {
    await deps.deadLetters.send(notification.id);
    deps.logger.error('Notification failed', { alarm: 'notification_failed', ...line });
  }
}
