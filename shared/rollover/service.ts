import { redact } from '../invoicexpress/redact.ts';
import { logger } from '../runtime/logger.ts';
import { createServiceRuntime } from '../runtime/service-runtime.ts';
import type { ServiceSecret } from '../runtime/secret.ts';
import type { InvoiceXpressClient } from '../invoicexpress/types.ts';
import type { RunHolder } from './run-store.ts';
import { rolloverOutboxFromEnv, tellNotStarted } from '../notifications/rollover-events.ts';
import type { PublishReport } from '../notifications/publisher.ts';
import { familiesOf, RolloverEnvSchema, serieNames } from './settings.ts';
import { runOrder } from './families.ts';
import { RolloverInProgressError, RolloverYearError } from './errors.ts';
import { runLocked, yearOfRequest } from './locked-run.ts';
import type { LockedRun, RolloverRequest } from './locked-run.ts';
import { alarmFor, readyGauge } from './notify.ts';
import { checkedAccount } from './account.ts';
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

/** The run's one JSON log line (metric filters and alarms read it); `events`: what its outbox published (runLocked). */
function report(request: RolloverRequest, result: RolloverResult, extra: Record<string, unknown>, events?: PublishReport): void {
  const alarm = alarmFor(result, request.trigger);
  const ready = readyGauge(result);
  const line = {
    rollover: result,
    trigger: request.trigger,
    caller: request.caller,
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

export function createRolloverService(env: Record<string, string | undefined> = process.env) {
  const runtime = createServiceRuntime(RolloverEnvSchema, env);
  const store = createRunTable({ tableName: runtime.env.ROLLOVER_TABLE_NAME });
  const leases = createRegistrationLeaseTable({ tableName: runtime.env.ROLLOVER_TABLE_NAME });
  const outbox = rolloverOutboxFromEnv(store, env);
  const account = runtime.env.IX_ACCOUNT_NAME;
  const settings = {
    families: familiesOf(runtime.env),
    timeZone: runtime.env.ROLLOVER_TIME_ZONE,
    settle: { settleMs: runtime.env.REGISTER_SETTLE_MS },
  };
  /** The default family's first name (else the first family's): the serie a run that could not start names. */
  const primaryName = (year: number): string => serieNames(runOrder(settings.families)[0]?.templates ?? [], year)[0] ?? '';

  /** One run with the session's client (the session owns the 401 rule: refusedKey). */
  function runWithSession(request: RolloverRequest): Promise<{ run: LockedRun }> {
    const policy = { deadline: request.deadline, onRateLimit: 'wait', share: 'rollover' } as const;
    const work = async (client: InvoiceXpressClient, secret: ServiceSecret) => {
      const deps = {
        client,
        store,
        leases,
        account: checkedAccount(secret, account),
        ...settings,
        redact: (text: string) => redact(text, secret.apiKey),
        ...runLogging,
        outbox,
      };
      return { run: await runLocked(deps, request) };
    };
    return runtime.session.run(policy, work, { refusedKey });
  }

  return {
    runtime,

    /**
     * Runs the rollover for one trigger. A scheduled run that finds the lock held ends `skipped`
     * and one for a year it may not change ends `failed`; POST /rollover gets those as errors
     * (RolloverInProgressError, RolloverYearError) to answer 409 and 400.
     */
    async execute(request: RolloverRequest): Promise<RolloverResult> {
      // The year, computed once: the run works on it and a run that cannot start reports it.
      const year = yearOfRequest(request, { timeZone: settings.timeZone });
      let outcome: { run: LockedRun };
      try {
        outcome = await runWithSession({ ...request, input: { ...request.input, year } });
      } catch (error) {
        // POST /rollover answers these as errors (400, 500); a scheduled run ends failed (no throw:
        // one notification, not a DLQ too).
        if (request.trigger !== 'schedule') throw error;
        const result = notStarted(request, { year, serie: primaryName(year) }, error);
        const told = outbox === undefined ? undefined : await tellNotStarted(outbox, result, request, account);
        report(request, result, {}, told);
        return result;
      }
      const { run } = outcome;
      if (run.type === 'busy') {
        if (request.trigger !== 'schedule') throw new RolloverInProgressError(run.year, run.holder);
        const result = skipped(request, run, primaryName(run.year));
        report(request, result, {});
        return result;
      }
      report(request, run.result, run.lockHeldMs === undefined ? {} : { lockHeldSeconds: run.lockHeldMs / 1000 }, run.events);
      return run.result;
    },
  };
}
