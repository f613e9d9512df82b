import { InvoiceXpressError } from '../invoicexpress/errors.ts';
import type { InvoiceXpressOperation } from '../invoicexpress/errors.ts';
import { redact } from '../invoicexpress/redact.ts';
import { logger } from '../runtime/logger.ts';
import { createServiceRuntime } from '../runtime/service-runtime.ts';
import { rolloverOutboxFromEnv } from '../notifications/rollover-events.ts';
import type { PublishReport } from '../notifications/publisher.ts';
import { RolloverEnvSchema, serieNames } from './config.ts';
import { RolloverInProgressError, RolloverYearError } from './errors.ts';
import { runLocked } from './locked-run.ts';
import type { LockedRun, RolloverRequest } from './locked-run.ts';
import { alarmFor, readyGauge } from './notify.ts';
import { checkedAccount } from './account.ts';
import { createRegistrationLeaseTable } from '../sequences/registration-lease-table.ts';
import { createRunTable } from './run-table.ts';
import type { RolloverResult } from './result.ts';
import { targetYear } from './time.ts';

/**
 * The rollover as the functions run it (the schedules and POST /rollover): the cached secret and
 * its 401 re-read, the run table, its events (the outbox), and the one JSON log line per run that metric filters
 * and alarms read (docs/rollover.md). The read routes have their own service (read-service.ts).
 */

/**
 * Lets the session see a 401 (its cue to re-read the secret once, in case the key was rotated)
 * although runs return failures instead of throwing them. Carries the run.
 */
class UnauthorizedRunError extends InvoiceXpressError {
  readonly run: LockedRun;
  constructor(run: LockedRun & { type: 'ran' }) {
    const action = run.result.failure?.action ?? 'find';
    const operation: InvoiceXpressOperation = action === 'find' ? 'list' : action === 'verify' || action === 'read' ? 'get' : action;
    super({ kind: 'unauthorized', operation, status: 401, message: run.result.failure?.message ?? 'unauthorized' });
    this.run = run;
  }
}

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

export function createRolloverService(env: Record<string, string | undefined> = process.env) {
  const runtime = createServiceRuntime(RolloverEnvSchema, env);
  const store = createRunTable({ tableName: runtime.env.ROLLOVER_TABLE_NAME });
  const leases = createRegistrationLeaseTable({ tableName: runtime.env.ROLLOVER_TABLE_NAME });
  const outbox = rolloverOutboxFromEnv(store, env);
  const account = runtime.env.IX_ACCOUNT_NAME;
  const settings = {
    templates: runtime.env.SERIE_TEMPLATES,
    timeZone: runtime.env.ROLLOVER_TIME_ZONE,
    settle: { settleMs: runtime.env.REGISTER_SETTLE_MS },
  };

  const primaryName = (year: number): string => serieNames(settings.templates, year)[0] ?? '';
  const yearOf = (request: RolloverRequest): number =>
    request.input.year ?? targetYear({ phase: request.input.phase, scheduledTime: request.scheduledTime, now: () => new Date(), timeZone: settings.timeZone });

  async function lockedRun(request: RolloverRequest): Promise<LockedRun> {
    try {
      return await runtime.session.run({ deadline: request.deadline, onRateLimit: 'wait', share: 'rollover' }, async (client, secret) => {
        const run = await runLocked(
          {
            client,
            store,
            leases,
            account: checkedAccount(secret, account),
            ...settings,
            redact: (text) => redact(text, secret.apiKey),
            onBusy: (holder, heldMs, year) =>
              logger.info('Rollover lock held by another run', { lock: { heldSeconds: heldMs / 1000, holderRunId: holder.runId, year } }),
            onStoreError: (what, error) => logger.error(`Rollover could not ${what}`, { error: error instanceof Error ? error.name : 'unknown' }),
            outbox,
          },
          request,
        );
        if (run.type === 'ran' && run.result.failure?.kind === 'unauthorized') throw new UnauthorizedRunError(run);
        return run;
      });
    } catch (error) {
      // The key is still refused after re-reading the secret: report the failed run.
      if (!(error instanceof UnauthorizedRunError)) throw error;
      return error.run;
    }
  }

  /** The run's one log line; `events`: what its outbox published (the events went out with the run, in runLocked). */
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

  return {
    runtime,

    /**
     * Runs the rollover for one trigger. A scheduled run that finds the lock held ends `skipped`
     * and one for a year it may not change ends `failed`; POST /rollover gets those as errors
     * (RolloverInProgressError, RolloverYearError) to answer 409 and 400.
     */
    async execute(request: RolloverRequest): Promise<RolloverResult> {
      // The year, computed once: the run works on it and a run that cannot start reports it.
      const year = yearOf(request);
      let run: LockedRun;
      try {
        run = await lockedRun({ ...request, input: { ...request.input, year } });
      } catch (error) {
        // POST /rollover answers these as errors (400, 500); a scheduled run ends failed, and its
        // log line pages or not like any failed run (no throw: one notification, not a DLQ too).
        if (request.trigger !== 'schedule') throw error;
        const end =
          error instanceof RolloverYearError
            ? { outcome: 'failed' as const, kind: 'year_out_of_range', message: error.message }
            : { outcome: 'failed' as const, kind: 'not_run', message: `the run could not start: ${error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error'}` };
        const result = unrun(request, { year, serie: primaryName(year) }, end);
        report(request, result, {});
        return result;
      }
      if (run.type === 'busy') {
        if (request.trigger !== 'schedule') throw new RolloverInProgressError(run.year, run.holder);
        const { holder } = run;
        const note = `run ${holder.runId} (${holder.trigger}, ${holder.phase}) holds the lock since ${holder.acquiredAt}: it does the work`;
        const result = unrun(request, { year: run.year, serie: primaryName(run.year) }, { outcome: 'skipped', note });
        report(request, result, {});
        return result;
      }
      report(request, run.result, run.lockHeldMs === undefined ? {} : { lockHeldSeconds: run.lockHeldMs / 1000 }, run.events);
      return run.result;
    },
  };
}

export type RolloverService = ReturnType<typeof createRolloverService>;
