import { redact } from '../invoicexpress/redact.ts';
import { logger } from '../runtime/logger.ts';
import { createServiceRuntime } from '../runtime/service-runtime.ts';
import type { ServiceSecret } from '../runtime/secret.ts';
import type { InvoiceXpressClient } from '../invoicexpress/types.ts';
import { dynamoDbYearEndStore } from './year-end.ts';
import { yearEndEntryOf } from './year-end-status.ts';
import type { YearEndStatus } from './year-end-status.ts';
import { rolloverTargets } from './targets.ts';
import type { RolloverTarget } from './targets.ts';
import type { RunHolder } from './run-store.ts';
import { rolloverOutboxFromEnv, tellNotStarted } from '../notifications/rollover-events.ts';
import type { PublishReport } from '../notifications/publisher.ts';
import { RolloverEnvSchema, serieNames } from './settings.ts';
import { isUnattended } from './schemas.ts';
import { runOrder } from './families.ts';
import { RolloverInProgressError, RolloverYearError } from './errors.ts';
import { runLocked, yearOfRequest } from './locked-run.ts';
import type { LockedRun, RolloverRequest } from './locked-run.ts';
import { alarmFor, readyGauge } from './notify.ts';
import { createRegistrationLeaseTable } from '../sequences/registration-lease-table.ts';
import { createRunTable } from './run-table.ts';
import type { RolloverResult } from './result.ts';

/**
 * The rollover as the functions run it (the schedules and POST /rollover): the session (the cached
 * secret, re-read once when a run ends on a 401), the run table, its events (the outbox), and the one JSON log line per run that metric filters
 * and alarms read (docs/rollover.md). The read routes have their own service (read-service.ts).
 */

/** The result of a run that did not get to InvoiceXpress: skipped, or failed before it started. */
function unrun(
  request: RolloverRequest,
  at: { year: number; serie: string },
  end: { outcome: 'skipped'; note: string } | { outcome: 'failed'; kind: string; message: string },
): RolloverResult {
  const now = new Date().toISOString();
  const { phase, dryRun } = request.input;
  const base = { year: at.year, serie: at.serie, phase, dryRun, sequence: null, startedAt: now, finishedAt: now };
  if (end.outcome === 'skipped') return { ...base, outcome: 'skipped', steps: [], note: end.note };
  const failure = { action: 'find' as const, kind: end.kind, message: end.message };
  return { ...base, outcome: 'failed', steps: [{ action: 'find', status: 'failed', detail: `${end.kind}: ${end.message}` }], failure };
}

/** Log lines of the run (docs/rollover.md): no secret, only hosts and counts. */
const runLogging = {
  onBusy: (holder: RunHolder, heldMs: number, year: number): void =>
    logger.info('Rollover lock held by another run', { lock: { heldSeconds: heldMs / 1000, holderRunId: holder.runId, year } }),
  onStoreError: (what: string, error: unknown): void => logger.error(`Rollover could not ${what}`, { error: error instanceof Error ? error.name : 'unknown' }),
};

/** A run that ended on a 401: the session re-reads the secret and, if the key changed, runs again. */
const refusedKey = ({ run }: { run: LockedRun }): boolean => run.type === 'ran' && run.result.failure?.kind === 'unauthorized';

/**
 * The run's one JSON log line (metric filters and alarms read it); `events`: what its outbox
 * published (runLocked). A dispatched run (many accounts) does not page on its own line: its
 * dispatch names the accounts that need a person in one alarm (shared/fanout), so the line says
 * `pages` instead of `alarm`, and its account's `ready` gauge is not the stage's.
 */
function report(request: RolloverRequest, account: string, result: RolloverResult, extra: Record<string, unknown>, events?: PublishReport): void {
  const dispatched = request.dispatchId !== undefined;
  const wouldPage = alarmFor(result, request.trigger);
  const alarm = dispatched ? undefined : wouldPage;
  const ready = dispatched ? undefined : readyGauge(result);
  const line = {
    rollover: result,
    account,
    trigger: request.trigger,
    caller: request.caller,
    ...(dispatched ? { dispatchId: request.dispatchId, ...(wouldPage === undefined ? {} : { pages: wouldPage }) } : {}),
    ...(ready === undefined ? {} : { ready }),
    ...(alarm === undefined ? {} : { alarm }),
    ...(events ? { events } : {}),
    ...extra,
  };
  const title = `Rollover ${result.phase} ${String(result.year)}${result.dryRun ? ' (dry run)' : ''}: ${result.outcome}`;
  if (alarm !== undefined) logger.error(title, line);
  else if (result.outcome === 'failed' || result.outcome === 'incomplete' || result.fallback) logger.warn(title, line);
  else logger.info(title, line);
}

/** A scheduled run that could not start ends failed (its log line pages or not like any failed run). */
function notStarted(request: RolloverRequest, at: { year: number; serie: string }, error: unknown): RolloverResult {
  const end =
    error instanceof RolloverYearError
      ? { outcome: 'failed' as const, kind: 'year_out_of_range', message: error.message }
      : {
          outcome: 'failed' as const,
          kind: 'not_run',
          message: `the run could not start: ${error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error'}`,
        };
  return unrun(request, at, end);
}

/** A scheduled run that found the lock held ends skipped: the holder does the work. */
function skipped(request: RolloverRequest, run: LockedRun & { type: 'busy' }, serie: string): RolloverResult {
  const { holder } = run;
  const note = `run ${holder.runId} (${holder.trigger}, ${holder.phase}) holds the lock since ${holder.acquiredAt}: it does the work`;
  return unrun(request, { year: run.year, serie }, { outcome: 'skipped', note });
}

/** A run's result, and for a registered account the year-end status it left (year-end.ts). */
export interface RolloverOutcomeForAccount {
  result: RolloverResult;
  /** `paged`: the failure it replaced was already paged (a failure that goes on is paged once). */
  yearEnd?: { status: YearEndStatus; previous: YearEndStatus | undefined; paged: boolean } | undefined;
}

/** What a service's runs share: the run table (locks, records, leases, year-end statuses) and the outbox. */
interface ServiceParts {
  store: ReturnType<typeof createRunTable>;
  leases: ReturnType<typeof createRegistrationLeaseTable>;
  yearEnd: ReturnType<typeof dynamoDbYearEndStore>;
  outbox: ReturnType<typeof rolloverOutboxFromEnv>;
  settle: { settleMs: number };
}

/** One run with the target's session (the session owns the 401 rule: refusedKey). */
function runWithSession(parts: ServiceParts, target: RolloverTarget, request: RolloverRequest): Promise<{ run: LockedRun }> {
  const policy = { deadline: request.deadline, onRateLimit: 'wait', share: 'rollover' } as const;
  const work = async (client: InvoiceXpressClient, secret: ServiceSecret) => {
    const deps = {
      client,
      store: parts.store,
      leases: parts.leases,
      account: target.check(secret),
      families: target.families,
      timeZone: target.timeZone,
      settle: parts.settle,
      redact: (text: string) => redact(text, secret.apiKey),
      ...runLogging,
      outbox: parts.outbox,
    };
    return { run: await runLocked(deps, request) };
  };
  return target.session.run(policy, work, { refusedKey });
}

/** A scheduled run that could not start ends failed and tells its rollover.failed at once. */
async function unstarted(parts: ServiceParts, target: RolloverTarget, request: RolloverRequest, year: number, error: unknown): Promise<RolloverResult> {
  const result = notStarted(request, { year, serie: primaryName(target, year) }, error);
  const told = parts.outbox === undefined ? undefined : await tellNotStarted(parts.outbox, result, request, target.account);
  report(request, target.account, result, {}, told);
  return result;
}

/** The year-end status a registered account's run leaves (year-end.ts); a failure to write it is logged, the run stands. */
async function recordYearEnd(parts: ServiceParts, target: RolloverTarget, result: RolloverResult): Promise<RolloverOutcomeForAccount['yearEnd']> {
  const entry = target.registered ? yearEndEntryOf(result) : undefined;
  if (entry === undefined) return undefined;
  try {
    const { previous, paged } = await parts.yearEnd.record(result.year, { ...entry, account: target.account, updatedAt: new Date().toISOString() });
    return { status: entry.status, previous, paged: previous === 'failed' && paged };
  } catch (error) {
    runLogging.onStoreError("record the account's year-end status", error);
    return undefined;
  }
}

/**
 * Runs the rollover of one account for one trigger. An unattended run (schedule, dispatch) that
 * finds the lock held ends `skipped` and one that cannot start ends `failed`; POST /rollover gets
 * those as errors (RolloverInProgressError, RolloverYearError) to answer 409 and 400.
 */
async function runFor(parts: ServiceParts, target: RolloverTarget, request: RolloverRequest): Promise<RolloverOutcomeForAccount> {
  // The year, computed once in the account's zone: the run works on it and a run that cannot start reports it.
  const year = yearOfRequest(request, { timeZone: target.timeZone });
  let outcome: { run: LockedRun };
  try {
    outcome = await runWithSession(parts, target, { ...request, input: { ...request.input, year } });
  } catch (error) {
    // POST /rollover answers these as errors (400, 500); an unattended run ends failed (no throw:
    // one notification, not a DLQ too).
    if (!isUnattended(request.trigger)) throw error;
    const result = await unstarted(parts, target, request, year, error);
    return { result, yearEnd: await recordYearEnd(parts, target, result) };
  }
  const { run } = outcome;
  if (run.type === 'busy') {
    if (!isUnattended(request.trigger)) throw new RolloverInProgressError(run.year, run.holder);
    const result = skipped(request, run, primaryName(target, run.year));
    report(request, target.account, result, {});
    return { result };
  }
  report(request, target.account, run.result, run.lockHeldMs === undefined ? {} : { lockHeldSeconds: run.lockHeldMs / 1000 }, run.events);
  return { result: run.result, yearEnd: await recordYearEnd(parts, target, run.result) };
}

export function createRolloverService(env: Record<string, string | undefined> = process.env) {
  const runtime = createServiceRuntime(RolloverEnvSchema, env);
  const tableName = runtime.env.ROLLOVER_TABLE_NAME;
  const store = createRunTable({ tableName });
  const parts: ServiceParts = {
    store,
    leases: createRegistrationLeaseTable({ tableName }),
    yearEnd: dynamoDbYearEndStore({ tableName }),
    outbox: rolloverOutboxFromEnv(store, env),
    settle: { settleMs: runtime.env.REGISTER_SETTLE_MS },
  };
  const targets = rolloverTargets(runtime);
  return {
    runtime,
    /** The default account's run (account undefined) or a registered account's (AccountNotFoundError when unknown). */
    execute: async (request: RolloverRequest, account?: string): Promise<RolloverResult> => (await runFor(parts, await targets.of(account), request)).result,
    /** A registered account's run with the year-end status it left (the fan-out's worker). */
    executeForAccount: async (request: RolloverRequest, account: string): Promise<RolloverOutcomeForAccount> =>
      runFor(parts, await targets.of(account), request),
  };
}

/** The default family's first name (else the first family's): the serie a run that could not start names. */
function primaryName(target: RolloverTarget, year: number): string {
  return serieNames(runOrder(target.families)[0]?.templates ?? [], year)[0] ?? '';
}
