import type { Deadline } from '../runtime/deadline.ts';

/**
 * One InvoiceXpress request budget per account, shared by every function and container: a token
 * bucket (kept as GCRA's "theoretical arrival time", one number) spent before each request.
 *
 * - `burst` requests may go at once after a quiet spell; the bucket refills at
 *   (perMinute - burst) a minute, so in any minute at most `perMinute` requests go out.
 * - The last `rolloverReserve` tokens are the rollover's: API callers are refused while fewer
 *   than that are left, so a caller that spends its share cannot starve the year-end.
 * - API callers are refused at once (429 rate_limited, Retry-After); the rollover waits for a
 *   token while its deadline allows.
 */

export type BudgetShare = 'api' | 'rollover';

export interface BudgetLimits {
  /** Requests a minute InvoiceXpress allows the account. */
  perMinute: number;
  /** Requests that may go at once (the bucket's size). */
  burst: number;
  /** Of the bucket, tokens only the rollover may spend. */
  rolloverReserve: number;
}

/** What one spend needs of the shared state: a conditional write (DynamoDB; memory in unit tests). */
export interface BudgetStore {
  /**
   * Moves the account's arrival time on by `intervalMs` if that keeps it at most `maxAt`
   * (now + what the share may use); true when spent. When false, `retryAfterMs` says when a
   * token of that share is next free.
   */
  trySpend(spend: { account: string; now: number; intervalMs: number; maxAt: number }): Promise<{ spent: true } | { spent: false; retryAfterMs: number }>;
}

/** Spent before each InvoiceXpress request (the client's hook). */
export interface RequestBudget {
  /** Resolves when one request may be sent; rejects with BudgetExhaustedError otherwise. */
  spend(request: { share: BudgetShare; wait: boolean; deadline: Deadline }): Promise<void>;
}

export class BudgetExhaustedError extends Error {
  override readonly name = 'BudgetExhaustedError';
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number) {
    super(`The InvoiceXpress request budget of this account is spent; the next request fits in ${String(Math.ceil(retryAfterMs / 1000))} s`);
    this.retryAfterMs = retryAfterMs;
  }
}

/** Kept spare in the window so that network jitter cannot push two minutes' worth into one. */
const WINDOW_MS = 61_000;
/** A wait is started only with at least this much of the deadline left after it. */
const MIN_AFTER_WAIT_MS = 100;

function checkLimits(limits: BudgetLimits): BudgetLimits {
  const { perMinute, burst, rolloverReserve } = limits;
  const whole = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
  if (!whole(perMinute) || !whole(burst) || !whole(rolloverReserve) || !(rolloverReserve < burst && burst < perMinute)) {
    throw new RangeError('InvoiceXpress budget: needs whole numbers with rolloverReserve < burst < perMinute');
  }
  return limits;
}

/** The bucket's refill interval: one token every this many ms. */
export const intervalOf = (limits: BudgetLimits): number => Math.ceil(WINDOW_MS / (limits.perMinute - limits.burst));

/** Tokens a share may use of the bucket. */
const tokensOf = (limits: BudgetLimits, share: BudgetShare): number => (share === 'rollover' ? limits.burst : limits.burst - limits.rolloverReserve);

export function createRequestBudget(options: {
  account: string;
  limits: BudgetLimits;
  store: BudgetStore;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * The store failed (DynamoDB throttled or unreachable): the request is sent unbudgeted rather
   * than the API failing with it; InvoiceXpress's own 429 remains the backstop. For a log line.
   */
  onStoreError?: (error: unknown) => void;
}): RequestBudget {
  const limits = checkLimits(options.limits);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const intervalMs = intervalOf(limits);
  return {
    async spend({ share, wait, deadline }) {
      for (;;) {
        const at = now();
        let answer: Awaited<ReturnType<BudgetStore['trySpend']>>;
        try {
          answer = await options.store.trySpend({ account: options.account, now: at, intervalMs, maxAt: at + tokensOf(limits, share) * intervalMs });
        } catch (error) {
          options.onStoreError?.(error);
          return;
        }
        if (answer.spent) return;
        if (!wait || answer.retryAfterMs + MIN_AFTER_WAIT_MS >= deadline.remainingMs()) throw new BudgetExhaustedError(answer.retryAfterMs);
        await sleep(answer.retryAfterMs);
      }
    },
  };
}
