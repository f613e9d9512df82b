import type { AccountRecord } from '../accounts/model.ts';
import { RolloverYearError } from '../rollover/errors.ts';
import type { RolloverPhase } from '../rollover/schemas.ts';
import { yearProblem } from '../rollover/time.ts';
import { duePhases } from './due.ts';
import type { DispatchStore } from './dispatch-store.ts';
import { dispatchIdOf } from './messages.ts';
import type { RolloverMessage } from './messages.ts';
import type { Dispatched } from './model.ts';

/**
 * A dispatch: one message per account on the rollover queue, for the worker (worker.ts) to run
 * that account's locked run. No loop over accounts runs rollovers here: SQS holds the work and the
 * worker's event source runs it, `maxConcurrency` accounts at a time, each pacing itself on its own
 * InvoiceXpress budget. A scheduled tick dispatches the accounts whose local time calls for a phase
 * (due.ts); a dispatch on demand, every enabled account.
 */
export interface DispatchRequest {
  phases: readonly RolloverPhase[];
  year?: number | undefined;
  /** A scheduled tick (its <aws.scheduler.scheduled-time>): only the accounts due then. */
  scheduledTime?: string | undefined;
  trigger: 'schedule' | 'dispatch';
  /** The schedule's name, or the IAM principal that asked. */
  caller: string;
}

export interface RolloverQueue {
  send(messages: readonly RolloverMessage[]): Promise<void>;
}

export interface DispatchDeps {
  accounts: () => Promise<readonly AccountRecord[]>;
  store: Pick<DispatchStore, 'open' | 'sent'>;
  queue: RolloverQueue;
  now?: () => Date;
}

/** What one phase of a dispatch sends: every account given, or those due at the tick. */
function dueAccounts(accounts: readonly AccountRecord[], phase: RolloverPhase, scheduledTime: string | undefined): AccountRecord[] {
  if (scheduledTime === undefined) return [...accounts];
  const at = new Date(scheduledTime);
  return accounts.filter((account) => duePhases(at, account.timeZone, [phase]).length > 0);
}

async function dispatchPhase(request: DispatchRequest, phase: RolloverPhase, accounts: readonly AccountRecord[], deps: DispatchDeps): Promise<Dispatched> {
  const at = request.scheduledTime === undefined ? (deps.now ?? (() => new Date()))() : new Date(request.scheduledTime);
  const dispatchId = dispatchIdOf(phase, at, request.trigger === 'dispatch');
  const dispatched: Dispatched = { dispatchId, phase, ...(request.year === undefined ? {} : { year: request.year }), accounts: accounts.length };
  if (accounts.length === 0) return dispatched;
  const opened = await deps.store.open({
    dispatchId,
    phase,
    year: request.year,
    trigger: request.trigger,
    caller: request.caller,
    createdAt: at.toISOString(),
    expected: accounts.length,
  });
  // The same tick delivered again after its messages all went out: nothing to send.
  if (opened === 'sent') return dispatched;
  const messages = accounts.map((account): RolloverMessage => ({
    v: 1,
    dispatchId,
    account: account.account,
    phase,
    ...(request.year === undefined ? {} : { year: request.year }),
    ...(request.scheduledTime === undefined ? {} : { scheduledTime: request.scheduledTime }),
    trigger: request.trigger,
    caller: request.caller,
  }));
  await deps.queue.send(messages);
  await deps.store.sent(dispatchId);
  return dispatched;
}

/** The zones furthest ahead of and behind UTC: a year no zone between them may change is refused for every account. */
const EARLIEST_ZONE = 'Etc/GMT-14';
const LATEST_ZONE = 'Etc/GMT+12';

/**
 * A year named for a phase that changes the accounts must be one some account may change now (the
 * current or the next year in its zone, time.ts): else every account's run would fail the same way,
 * so the request is refused before anything is sent (400 on body.year).
 */
function checkYear(request: DispatchRequest, now: Date): void {
  const { year } = request;
  if (year === undefined || request.phases.every((phase) => phase === 'verify')) return;
  const problem = yearProblem(year, now, EARLIEST_ZONE) === undefined ? undefined : yearProblem(year, now, LATEST_ZONE);
  if (problem !== undefined) throw new RolloverYearError(year, problem.replace(`in ${LATEST_ZONE}`, 'in any account’s time zone'));
}

/** Dispatches each phase of the request (one dispatch id per phase that has accounts). */
export async function dispatch(request: DispatchRequest, deps: DispatchDeps): Promise<Dispatched[]> {
  checkYear(request, (deps.now ?? (() => new Date()))());
  const accounts = await deps.accounts();
  const results: Dispatched[] = [];
  for (const phase of request.phases) results.push(await dispatchPhase(request, phase, dueAccounts(accounts, phase, request.scheduledTime), deps));
  return results;
}
