import type { RolloverPhase } from './schemas.ts';
import type { RolloverCalls, RolloverFailure, RolloverFamilyResult, RolloverOutcome, RolloverResult, RolloverStep } from './result.ts';

/**
 * How the families of one run make its result (pure): the default family's serie is the result's
 * serie; the run's outcome is the worst of its families'; the run's calls are all of them.
 */

export function emptyCalls(): RolloverCalls {
  return { list: 0, get: 0, create: 0, register: 0, set_current: 0 };
}

/** The phase a family runs: activate is a check (verify: registered, never made the default) for a family other than the default. */
export function familyPhase(phase: RolloverPhase, isDefault: boolean): RolloverPhase {
  return isDefault || phase === 'prepare' ? phase : 'verify';
}

/**
 * Failures that concern the whole account (AT's credentials, our key, the account's rate limit)
 * or the run's time: the run stops for every family. Any other failure ends its own family only.
 */
const ACCOUNT_WIDE: ReadonlySet<string> = new Set(['at_account', 'unauthorized', 'rate_limited']);

/**
 * Also a failed set_current: the account's default is not what it should be (a put-back after
 * InvoiceXpress moved it to a new serie failed, or the switch itself did). Another family's
 * create could move it again and its put-back hide the first failure: the run stops until a
 * person (or the next run) settles the default.
 */
export function stopsEveryFamily(result: RolloverFamilyResult): boolean {
  const kind = result.failure?.kind ?? '';
  if (result.failure?.action === 'set_current') return true;
  return ACCOUNT_WIDE.has(kind) || (result.outcome === 'incomplete' && kind !== 'registration_in_progress');
}

/** Worst first: a run is failed when any family failed, activated when its default family was. */
const OUTCOME_ORDER: readonly RolloverOutcome[] = ['failed', 'incomplete', 'activated', 'ready', 'already_done', 'skipped'];

function combinedOutcome(families: readonly RolloverFamilyResult[]): RolloverOutcome {
  return OUTCOME_ORDER.find((outcome) => families.some((family) => family.outcome === outcome)) ?? 'already_done';
}

function addCalls(total: RolloverCalls, more: RolloverCalls): RolloverCalls {
  return {
    list: total.list + more.list,
    get: total.get + more.get,
    create: total.create + more.create,
    register: total.register + more.register,
    set_current: total.set_current + more.set_current,
  };
}

/** The run's failure: the first family's that ended the way the run did; its message names the family when there are several. */
function combinedFailure(families: readonly RolloverFamilyResult[], outcome: RolloverOutcome): RolloverFailure | undefined {
  const failure = families.find((family) => family.outcome === outcome && family.failure !== undefined)?.failure;
  if (failure === undefined || families.length === 1 || failure.family === undefined) return failure;
  const others = families.filter((family) => family.failure !== undefined && family.failure.family !== failure.family).length;
  const also = others === 0 ? '' : ` (and ${String(others)} other famil${others === 1 ? 'y' : 'ies'}: see families)`;
  return { ...failure, message: `family '${failure.family}': ${failure.message}${also}` };
}

export interface RunFrame {
  runId?: string | undefined;
  year: number;
  phase: RolloverPhase;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  steps: RolloverStep[];
  /** Calls made for the run as a whole (its one list). */
  calls: RolloverCalls;
}

/** The run's result from its families, the default family first (runOrder). */
export function combineFamilies(frame: RunFrame, families: readonly RolloverFamilyResult[]): RolloverResult {
  const lead = families.find((family) => family.default) ?? families[0];
  const outcome = combinedOutcome(families);
  const failure = combinedFailure(families, outcome);
  return {
    ...(frame.runId === undefined ? {} : { runId: frame.runId }),
    year: frame.year,
    serie: lead?.serie ?? '',
    phase: frame.phase,
    dryRun: frame.dryRun,
    outcome,
    steps: frame.steps,
    sequence: lead?.sequence ?? null,
    startedAt: frame.startedAt,
    finishedAt: frame.finishedAt,
    ...(lead?.note === undefined ? {} : { note: lead.note }),
    ...(lead?.fallback === undefined ? {} : { fallback: lead.fallback }),
    ...(failure === undefined ? {} : { failure }),
    ...(lead?.previousDefault === undefined ? {} : { previousDefault: lead.previousDefault }),
    calls: families.reduce((total, family) => addCalls(total, family.calls), frame.calls),
    families: [...families],
  };
}
