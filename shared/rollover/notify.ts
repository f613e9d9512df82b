import { TRANSIENT_KINDS } from '../invoicexpress/errors.ts';
import type { RolloverTrigger } from './schemas.ts';
import type { RolloverResult } from './result.ts';

/**
 * Who hears about a run, decided from its result alone: the `alarm` of its log line (metric filters
 * page on it), whether webhooks go out, and the `ready` gauge.
 */
export type RolloverAlarm = 'rollover_failed' | 'serie_fallback';

/**
 * Failures the next scheduled activation (every 15 minutes until 05:45) may well not meet: they do
 * not page on their own; the 01:00 verify pages if the year is still not active.
 */
const RETRIED_BY_THE_NEXT_ACTIVATION: ReadonlySet<string> = new Set([...TRANSIENT_KINDS, 'at_in_progress', 'at_unclear', 'not_run']);

const CHANGES = new Set(['create', 'register', 'set_current']);

/** True when the run itself created, registered or switched something (whatever its outcome). */
function changedSomething(result: RolloverResult): boolean {
  return !result.dryRun && result.steps.some((step) => step.status === 'done' && CHANGES.has(step.action));
}

export function alarmFor(result: RolloverResult, trigger: RolloverTrigger): RolloverAlarm | undefined {
  if (result.dryRun) return undefined;
  if (result.outcome === 'failed') {
    const retried = trigger === 'schedule' && result.phase === 'activate' && RETRIED_BY_THE_NEXT_ACTIVATION.has(result.failure?.kind ?? '');
    return retried ? undefined : 'rollover_failed';
  }
  // The run that fell back, and the activation that puts the fallback in use; not the no-ops after.
  if ((result.outcome === 'ready' || result.outcome === 'activated') && fellBack(result)) return 'serie_fallback';
  return undefined;
}

/** The default family's fallback, or another family's that this run itself made ready. */
function fellBack(result: RolloverResult): boolean {
  return result.fallback !== undefined || (result.families ?? []).some((family) => family.fallback !== undefined && family.outcome === 'ready');
}

/** Webhooks: a run that changed something, and a failure that pages. Never a dry run or a no-op. */
export function shouldNotify(result: RolloverResult, alarm: RolloverAlarm | undefined): boolean {
  return changedSomething(result) || alarm === 'rollover_failed';
}

/**
 * 1 when, at the end of a real run, the year's serie is registered (and, for activate and verify,
 * the default); 0 otherwise; undefined for dry and skipped runs (they say nothing of the account).
 */
export function readyGauge(result: RolloverResult): 0 | 1 | undefined {
  if (result.dryRun || result.outcome === 'skipped') return undefined;
  const sequence = result.sequence;
  const fine = result.outcome !== 'failed' && result.outcome !== 'incomplete';
  return fine && sequence?.registered === true && (result.phase === 'prepare' || sequence.isDefault) ? 1 : 0;
}
