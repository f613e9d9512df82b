import { AccountNotFoundError } from '../accounts/sessions.ts';
import { alarmFor } from '../rollover/notify.ts';
import type { RolloverOutcomeForAccount } from '../rollover/service.ts';
import type { YearEndStore } from '../rollover/year-end.ts';
import { yearEndEntryOf } from '../rollover/year-end-status.ts';
import type { Deadline } from '../runtime/deadline.ts';
import { alertOf } from './alerts.ts';
import type { AlertTopic } from './alerts.ts';
import type { DispatchClaim, DispatchStore } from './dispatch-store.ts';
import type { RolloverMessage } from './messages.ts';
import { countsOf, yearEndRows } from './overview.ts';

/**
 * The rollover queue's worker, for one message: claim the account's run in its dispatch (once,
 * however often the message arrives), run it (the account's own lock, budget and secret), record
 * how it ended, and when it was the dispatch's last account, summarize the dispatch: the year's
 * counts (a log line the dashboard reads) and one alarm naming the accounts that need a person.
 * A run that fails is an outcome, not an error: only a failure to reach the run table or the queue
 * throws, and SQS hands the message back (then to the dead-letter queue).
 */
export interface WorkerDeps {
  store: DispatchStore;
  yearEnd: Pick<YearEndStore, 'list' | 'markPaged'>;
  /** The enabled accounts' names (the counts). */
  enabledAccounts: () => Promise<readonly string[]>;
  run: (message: RolloverMessage, deadline: Deadline) => Promise<RolloverOutcomeForAccount>;
  alerts: AlertTopic | undefined;
  stage: string;
  log: { info(message: string, fields: Record<string, unknown>): void; error(message: string, fields: Record<string, unknown>): void };
}

/** The claim outlives the run's deadline a little: a dead worker's claim frees the account soon after. */
const CLAIM_SLACK_MS = 30_000;

/** How the run ended, as the dispatch keeps it: an account whose failure pages and was not paged before is `alert`. */
function claimOf(message: RolloverMessage, outcome: RolloverOutcomeForAccount): Omit<DispatchClaim, 'state'> {
  const { result, yearEnd } = outcome;
  const pages = alarmFor(result, message.trigger) === 'rollover_failed';
  const alert = pages && yearEnd?.status === 'failed' && !yearEnd.paged;
  // The cause as the year's status words it (kind and message, cut short).
  const cause = yearEndEntryOf(result)?.cause;
  return {
    account: message.account,
    year: result.year,
    outcome: result.outcome,
    ...(yearEnd === undefined ? {} : { status: yearEnd.status }),
    ...(cause === undefined ? {} : { cause }),
    ...(alert ? { alert } : {}),
  };
}

async function runOnce(message: RolloverMessage, deadline: Deadline, deps: WorkerDeps): Promise<Omit<DispatchClaim, 'state'>> {
  try {
    return claimOf(message, await deps.run(message, deadline));
  } catch (error) {
    // Deleted (or disabled) after it was dispatched: nothing to run.
    if (error instanceof AccountNotFoundError) return { account: message.account, outcome: 'skipped', cause: error.message };
    throw error;
  }
}

export async function processRolloverMessage(message: RolloverMessage, deadline: Deadline, deps: WorkerDeps): Promise<void> {
  const claim = await deps.store.claim(message.dispatchId, message.account, deadline.remainingMs() + CLAIM_SLACK_MS);
  // A copy of a message whose run another worker holds or finished.
  if (claim !== 'claimed') return;
  const finished = await runOnce(message, deadline, deps);
  await deps.store.finish(message.dispatchId, finished);
  const { done, expected } = await deps.store.countDone(message.dispatchId);
  if (expected !== undefined && done >= expected) await summarize(message.dispatchId, message.phase, message.year, deps);
}

/** The dispatch's end, once: the year's counts, and one alarm for the accounts newly needing a person. */
async function summarize(dispatchId: string, phase: string, year: number | undefined, deps: WorkerDeps): Promise<void> {
  if (!(await deps.store.takeSummary(dispatchId))) return;
  const claims = await deps.store.claims(dispatchId);
  const enabled = await deps.enabledAccounts();
  for (const runYear of new Set(claims.flatMap((claim) => (claim.year === undefined ? [] : [claim.year])))) {
    const counts = countsOf(yearEndRows(enabled, await deps.yearEnd.list(runYear)));
    deps.log.info(`Rollover ${phase} dispatch ${dispatchId} done: year ${String(runYear)}`, {
      yearEnd: { year: runYear, phase, dispatchId, counts },
      accounts: claims.length,
    });
  }
  const failed = claims.filter((claim) => claim.alert === true).sort((a, b) => a.account.localeCompare(b.account));
  if (failed.length === 0) return;
  const alert = alertOf({ stage: deps.stage, dispatchId, phase, year, failed });
  deps.log.error(alert.subject, { alarm: 'accounts_failed', dispatchId, accounts: failed.slice(0, 10).map((claim) => claim.account), failed: failed.length });
  await deps.alerts?.publish(alert.subject, alert.message);
  for (const runYear of new Set(failed.flatMap((claim) => (claim.year === undefined ? [] : [claim.year])))) {
    await deps.yearEnd.markPaged(
      runYear,
      failed.filter((claim) => claim.year === runYear).map((claim) => claim.account),
    );
  }
}
