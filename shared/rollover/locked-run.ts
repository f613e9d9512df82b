import type { InvoiceXpressClient } from '../invoicexpress/types.ts';
import type { RegistrationLeases } from '../sequences/registration-lease.ts';
import type { Deadline } from '../runtime/deadline.ts';
import { RolloverYearError } from './errors.ts';
import { runRollover } from './rollover.ts';
import type { SerieFamily } from './families.ts';
import type { RunRolloverOptions } from './rollover.ts';
import { newRunId } from './run-store.ts';
import type { LockKey, RunHolder, RunStore } from './run-store.ts';
import type { RolloverInput, RolloverTrigger } from './schemas.ts';
import type { RolloverResult, RolloverRunRecord } from './result.ts';
import { DEFAULT_TIME_ZONE, targetYear, yearProblem } from './time.ts';
import type { CollectedEvents, RunOutbox } from '../notifications/run-outbox.ts';
import type { PublishReport } from '../notifications/publisher.ts';

/**
 * One rollover at a time, on record: every trigger (schedules, POST /rollover, the CLI) runs
 * through here. A run that changes the account takes the lock of its account and year first; every
 * real run leaves a record (running, then finished); dry runs do neither.
 */
export interface RolloverRequest {
  input: RolloverInput;
  trigger: RolloverTrigger;
  /** The IAM principal, the schedule's name, or cli:<user>@<host>. */
  caller: string;
  /** The Scheduler's scheduled time: decides the year over the clock. */
  scheduledTime?: string | undefined;
  deadline: Deadline;
  /** The dispatch (many accounts, shared/fanout) this run is part of. */
  dispatchId?: string | undefined;
}

export interface RolloverDependencies {
  client: InvoiceXpressClient;
  /** Absent only for dry runs and runs explicitly without a lock (the CLI's --no-lock). */
  store: RunStore | undefined;
  /** The registration leases in the same table (shared with the register routes); used with the store. */
  leases?: RegistrationLeases | undefined;
  /** The InvoiceXpress account: part of the lock's key. */
  account: string;
  /** The one family "main" (SERIE_TEMPLATES), when `families` is absent. */
  templates?: readonly string[] | undefined;
  /** The families of series (families.ts); replaces `templates`. */
  families?: readonly SerieFamily[] | undefined;
  timeZone?: string | undefined;
  now?: (() => Date) | undefined;
  settle?: RunRolloverOptions['settle'];
  onStep?: RunRolloverOptions['onStep'];
  redact?: RunRolloverOptions['redact'];
  /** Called when the lock is held by another run (for a log line). */
  onBusy?: ((holder: RunHolder, heldMs: number, year: number) => void) | undefined;
  /** Called when saving the record or releasing the lock failed after the run (the run stands). */
  onStoreError?: ((what: string, error: unknown) => void) | undefined;
  /** The run's events: recorded with its finished record, published while it still holds the lock. */
  outbox?: { outbox: RunOutbox; stage: string } | undefined;
}

export type LockedRun =
  | { type: 'ran'; result: RolloverResult; lockHeldMs: number | undefined; events?: PublishReport | undefined }
  /** Another run holds the lock: it does the work. */
  | { type: 'busy'; year: number; holder: RunHolder; heldMs: number };

/** The lease outlives the run's deadline a little: a crashed run's lock expires soon after. */
const LEASE_SLACK_MS = 30_000;
/** Time kept after the run's own deadline to save its record and release the lock. */
const RECORD_RESERVE_MS = 1_500;

function changesAccount(input: RolloverInput): boolean {
  return !input.dryRun && input.phase !== 'verify';
}

/** The year a request works on: its own, else the one its phase calls for at its scheduled time or now. */
export function yearOfRequest(
  request: Pick<RolloverRequest, 'input' | 'scheduledTime'>,
  at: { now?: (() => Date) | undefined; timeZone?: string | undefined } = {},
): number {
  const { phase, year } = request.input;
  return year ?? targetYear({ phase, scheduledTime: request.scheduledTime, now: at.now ?? (() => new Date()), timeZone: at.timeZone ?? DEFAULT_TIME_ZONE });
}

export async function runLocked(deps: RolloverDependencies, request: RolloverRequest): Promise<LockedRun> {
  const now = deps.now ?? (() => new Date());
  const timeZone = deps.timeZone ?? DEFAULT_TIME_ZONE;
  const { input } = request;
  const year = yearOfRequest(request, { now, timeZone });
  if (changesAccount(input)) {
    const problem = yearProblem(year, now(), timeZone);
    if (problem !== undefined) throw new RolloverYearError(year, problem);
  }
  const startedAt = now();
  const runId = input.dryRun ? undefined : newRunId(year, startedAt);
  const run = (deadline: Deadline): Promise<RolloverResult> =>
    runRollover({
      client: deps.client,
      phase: input.phase,
      year,
      dryRun: input.dryRun,
      templates: deps.templates,
      families: deps.families,
      deadline,
      now,
      runId,
      settle: deps.settle,
      lease: deps.store === undefined || deps.leases === undefined ? undefined : { leases: deps.leases, account: deps.account, via: 'rollover' },
      onStep: deps.onStep,
      redact: deps.redact,
    });
  if (runId === undefined || deps.store === undefined) return { type: 'ran', result: await run(request.deadline), lockHeldMs: undefined };

  const store = deps.store;
  const key: LockKey = { account: deps.account, year };
  const holder: RunHolder = { runId, trigger: request.trigger, caller: request.caller, phase: input.phase, acquiredAt: startedAt.toISOString() };
  const locks = changesAccount(input);
  if (locks) {
    const attempt = await store.acquire(key, holder, request.deadline.remainingMs() + LEASE_SLACK_MS);
    if (!attempt.acquired) {
      const heldMs = Math.max(0, now().getTime() - Date.parse(attempt.holder.acquiredAt));
      deps.onBusy?.(attempt.holder, heldMs, year);
      return { type: 'busy', year, holder: attempt.holder, heldMs };
    }
  }
  const base: RolloverRunRecord = {
    runId,
    year,
    phase: input.phase,
    trigger: request.trigger,
    caller: request.caller,
    status: 'running',
    startedAt: holder.acquiredAt,
  };
  try {
    await store.saveRun(deps.account, base);
    const result = await run(request.deadline.earlier(RECORD_RESERVE_MS));
    const collected = await collectEvents(deps, { key, runId, trigger: request.trigger, result });
    const finishedAt = now();
    const record = {
      ...base,
      status: 'finished' as const,
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      outcome: result.outcome,
      result,
    };
    // The outbox: the events go in the same write as the record, and out only once it is saved.
    const saved = await store.saveRun(deps.account, record, collected === undefined ? undefined : { events: collected.events }).then(
      () => true,
      (error: unknown) => (deps.onStoreError?.('save the run record', error), false),
    );
    const events = saved && collected !== undefined ? await collected.publish() : undefined;
    return { type: 'ran', result, lockHeldMs: locks ? now().getTime() - startedAt.getTime() : undefined, events };
  } finally {
    if (locks) await store.release(key, runId).catch((error: unknown) => deps.onStoreError?.('release the lock', error));
  }
}

/** The run's events (and what a dead run left untold); undefined without an outbox or when it cannot be read (the run stands). */
async function collectEvents(deps: RolloverDependencies, input: Omit<Parameters<RunOutbox['collect']>[0], 'stage'>): Promise<CollectedEvents | undefined> {
  if (deps.outbox === undefined) return undefined;
  try {
    return await deps.outbox.outbox.collect({ ...input, stage: deps.outbox.stage });
  } catch (error) {
    deps.onStoreError?.("collect the run's events", error);
    return undefined;
  }
}
