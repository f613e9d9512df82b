/**
 * The one time limit of an invocation, passed down to every InvoiceXpress call, retry and wait so
 * that the service answers (or stops between steps) before Lambda or API Gateway cut it off.
 * An absolute instant, not a signal: nothing to clean up, nothing retained between requests.
 */
export class Deadline {
  /** Epoch milliseconds. */
  readonly at: number;

  constructor(at: number) {
    if (!Number.isFinite(at)) throw new RangeError('A deadline needs a finite instant');
    this.at = at;
  }

  static in(ms: number, now: number = Date.now()): Deadline {
    return new Deadline(now + ms);
  }

  /**
   * From the Lambda context: the time the function has left, less `marginMs` to answer, log and
   * record; and never later than `capMs` from now (API Gateway gives up at 29 s whatever the
   * function's own timeout).
   */
  static fromRemaining(remainingMs: number, options: { marginMs: number; capMs?: number | undefined }, now = Date.now()): Deadline {
    const budget = Math.min(remainingMs, options.capMs ?? Number.POSITIVE_INFINITY) - options.marginMs;
    return new Deadline(now + Math.max(0, budget));
  }

  remainingMs(now: number = Date.now()): number {
    return Math.max(0, this.at - now);
  }

  /** True when less than `ms` is left (default: none). */
  expired(ms = 0, now: number = Date.now()): boolean {
    return this.at - now <= ms;
  }

  /** A deadline `ms` before this one: time kept for what follows (recording, answering). */
  earlier(ms: number): Deadline {
    return new Deadline(this.at - ms);
  }
}

/** API Gateway answers 504 on its own after 29 s: our functions must answer before. */
export const API_GATEWAY_LIMIT_MS = 29_000;
/** Time kept back from a function's remaining time to map the error, log and answer. */
export const ANSWER_MARGIN_MS = 1_500;
