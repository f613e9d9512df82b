import type { Sequence } from '../sequence.ts';

/** Everything the service needs from InvoiceXpress's sequence API. */
export interface InvoiceXpressClient {
  /** Every sequence of the account; follows pagination when InvoiceXpress reports it. */
  list(): Promise<Sequence[]>;
  get(id: number): Promise<Sequence>;
  /** POST, never retried automatically: a lost answer must be resolved by reading the state. */
  create(input: { serie: string; isDefault: boolean }): Promise<Sequence>;
  /** Communicates the serie to AT. Idempotent PUT; the body (if any) is ignored: read back with get. */
  register(id: number): Promise<void>;
  /** Makes the sequence the account's default. Idempotent PUT; read back with get. */
  setCurrent(id: number): Promise<void>;
}

export interface InvoiceXpressClientOptions {
  accountName: string;
  apiKey: string;
  /** Overrides https://{accountName}.app.invoicexpress.com (the sandbox, tests). */
  baseUrl?: string | undefined;
  /** Per attempt. Default 8000 ms. */
  timeoutMs?: number | undefined;
  /**
   * Bound on one whole call, all attempts, backoff waits and (for list) all pages included.
   * Default 25000 ms (API Gateway gives up at 29 s).
   */
  totalTimeoutMs?: number | undefined;
  /** Retries of GET and the two PUTs on 429/5xx/network errors (never of create). */
  retry?: { limit: number; baseDelayMs: number; maxDelayMs: number } | undefined;
  /** Observes every HTTP attempt (no URL query, no key): for logs, counters and tests. */
  onAttempt?: ((attempt: ClientAttempt) => void) | undefined;
}

export interface ClientAttempt {
  operation: 'list' | 'get' | 'create' | 'register' | 'set_current';
  method: 'GET' | 'POST' | 'PUT';
  /** Path without query string, e.g. /sequences/123.json */
  path: string;
  attempt: number;
  status?: number | undefined;
  durationMs: number;
  outcome: 'ok' | 'retry' | 'error';
}
