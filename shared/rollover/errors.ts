import type { RunHolder } from './run-store.ts';

/**
 * The rollover's own refusals, for the HTTP layer to map (400, 409). Kept apart from the run
 * machinery so that every function's error table can know them without loading it.
 */

/** A run that would change the account, for a year it may not change (time.ts): nothing was called. */
export class RolloverYearError extends Error {
  override readonly name = 'RolloverYearError';
  readonly year: number;
  constructor(year: number, problem: string) {
    super(problem);
    this.year = year;
  }
}

/** POST /rollover found another run holding the lock of the account and year. */
export class RolloverInProgressError extends Error {
  override readonly name = 'RolloverInProgressError';
  readonly holder: RunHolder;
  constructor(year: number, holder: RunHolder) {
    super(
      `A ${holder.phase} run for ${String(year)} is in progress (run ${holder.runId}, started ${holder.acquiredAt} by ${holder.trigger}); ` +
        'try again when it ends',
    );
    this.holder = holder;
  }
}
