import type { BudgetShare, RequestBudget } from '../budget/budget.ts';
import type { Deadline } from '../runtime/deadline.ts';
import type { Sequence } from '../sequences/sequence.ts';
import type { InvoiceXpressOperation } from './errors.ts';

/** Everything the service needs from InvoiceXpress's sequence API. */
export interface InvoiceXpressClient {
  /** Every sequence of the account; follows pagination when InvoiceXpress reports it. */
  list(): Promise<Sequence[]>;
  get(id: number): Promise<Sequence>;
  /** POST, sent once: a lost answer must be resolved by reading the state. */
  create(input: { serie: string; isDefault: boolean }): Promise<Sequence>;
  /** Communicates the serie to AT. Sent once (AT is behind it); the body is ignored: read back with get. */
  register(id: number): Promise<void>;
  /** Makes the sequence the account's default. Idempotent PUT, retried; read back with get. */
  setCurrent(id: number): Promise<void>;
}

/** How the calls of one invocation behave: when they must end, and what a 429 does. */
export interface CallPolicy {
  /** Every attempt, retry wait and page of every call ends by this time. */
  deadline: Deadline;
  /**
   * 'fail' (default): a 429 is answered at once as rate_limited (API callers retry after
   * Retry-After). 'wait': wait as InvoiceXpress says, or until the next minute, while the deadline
   * allows (the rollover).
   */
  onRateLimit?: 'fail' | 'wait' | undefined;
  /** Whose share of the account's request budget the calls spend (default 'api'). */
  share?: BudgetShare | undefined;
}

/** The client as created: used as is (each call its own budget) or bound to a caller's policy. */
export interface InvoiceXpressConnection extends InvoiceXpressClient {
  withPolicy(policy: CallPolicy): InvoiceXpressClient;
  /** One read-only call (the list's first page): resolves when InvoiceXpress accepts the account and key. */
  checkAccess(policy: CallPolicy): Promise<void>;
}

export interface InvoiceXpressClientOptions {
  accountName: string;
  apiKey: string;
  /** Overrides https://{accountName}.app.invoicexpress.com (the sandbox, tests). */
  baseUrl?: string | undefined;
  /** Per attempt. Default 8000 ms. */
  timeoutMs?: number | undefined;
  /** Bound on one whole call (attempts, waits, pages) when no policy gives a deadline. Default 25000 ms. */
  totalTimeoutMs?: number | undefined;
  /** Retries of GET and set_current on 408/5xx, timeouts and network errors (never of create or register). */
  retry?: { limit: number; baseDelayMs: number; maxDelayMs: number } | undefined;
  /** Observes every HTTP attempt (no URL query, no key): for logs, counters and tests. */
  onAttempt?: ((attempt: ClientAttempt) => void) | undefined;
  /**
   * Spent before every HTTP attempt (shared/budget): when it refuses, the call is not sent and
   * fails as rate_limited; with onRateLimit 'wait' the budget waits for a token first.
   */
  budget?: RequestBudget | undefined;
}

export interface ClientAttempt {
  operation: InvoiceXpressOperation;
  method: 'GET' | 'POST' | 'PUT';
  /** Path without query string, e.g. /sequences/123.json */
  path: string;
  attempt: number;
  status?: number | undefined;
  outcome: 'ok' | 'retry' | 'error';
}
