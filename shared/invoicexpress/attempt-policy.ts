import ky, { isHTTPError } from 'ky';
import type { AfterResponseState, BeforeRetryState, Hooks, RetryOptions } from 'ky';
import type { Call, ResolvedPolicy } from './call.ts';
import { parseRetryAfter, untilNextMinute } from './failures.ts';
import { MAX_RATE_LIMIT_WAITS, MIN_ATTEMPT_MS } from './options.ts';
import type { ResolvedOptions } from './options.ts';
import type { ClientAttempt } from './types.ts';

type PolicyOptions = Pick<ResolvedOptions, 'retry' | 'onAttempt' | 'budget'>;

/**
 * The retry and rate-limit policy of ONE call, as ky's retry options and hooks, and what it saw:
 * what may be retried (transient failures of idempotent calls; a 429 of any call, in 'wait' mode),
 * how long to wait, the budget spent per attempt, and the attempts the observer hears about.
 * ky's retry limit also counts rate-limit waits, so transient failures keep their own count here.
 */
export class AttemptPolicy {
  /** Retries ky has started so far. */
  retries = 0;
  /** Status of the latest answer of the current attempt (undefined before it has one). */
  status: number | undefined = undefined;
  private rateLimitWaits = 0;
  private transientRetries = 0;
  private readonly limit: number;
  private readonly call: Call<unknown>;
  private readonly policy: ResolvedPolicy;
  private readonly options: PolicyOptions;

  constructor(call: Call<unknown>, policy: ResolvedPolicy, options: PolicyOptions) {
    this.call = call;
    this.policy = policy;
    this.options = options;
    this.limit = (call.idempotent ? options.retry.limit : 0) + (this.waitsForRateLimit ? MAX_RATE_LIMIT_WAITS : 0);
  }

  private get waitsForRateLimit(): boolean {
    return this.policy.onRateLimit === 'wait';
  }

  /** Attempts made so far, counting the current one. */
  get attempts(): number {
    return this.retries + 1;
  }

  private fits(waitMs: number): boolean {
    return waitMs + MIN_ATTEMPT_MS < this.policy.deadline.remainingMs();
  }

  retryOptions(): RetryOptions {
    const { retry } = this.options;
    return {
      limit: this.limit,
      methods: this.call.idempotent ? ['get', 'put'] : [],
      statusCodes: [408, 500, 502, 503, 504],
      afterStatusCodes: [503],
      retryOnTimeout: true,
      delay: (attempt) => retry.baseDelayMs * 2 ** (attempt - 1),
      backoffLimit: retry.maxDelayMs,
      jitter: true,
      shouldRetry: ({ error }) => this.shouldRetry(error),
    };
  }

  hooks(): Hooks {
    return {
      afterResponse: [(state: AfterResponseState) => this.waitOutRateLimit(state)],
      // Every retry is a request too (ky runs beforeRetry hooks before it; what they throw ends the call).
      beforeRetry: [(state: BeforeRetryState) => this.observeRetry(state), () => this.spend()],
    };
  }

  /** A transient failure past its own limit, or a Retry-After past the deadline, is not retried. */
  private shouldRetry(error: unknown): false | undefined {
    if (++this.transientRetries > this.options.retry.limit) return false;
    const asked = isHTTPError(error) ? parseRetryAfter(error.response.headers.get('retry-after')) : undefined;
    return asked !== undefined && !this.fits(asked) ? false : undefined;
  }

  private waitOutRateLimit({ response, retryCount }: AfterResponseState) {
    this.status = response.status;
    if (response.status !== 429 || !this.waitsForRateLimit || this.rateLimitWaits >= MAX_RATE_LIMIT_WAITS || retryCount >= this.limit) return;
    const waitMs = parseRetryAfter(response.headers.get('retry-after')) ?? untilNextMinute();
    if (!this.fits(waitMs)) return;
    this.rateLimitWaits++;
    return ky.retry({ delay: waitMs, code: 'RATE_LIMITED' });
  }

  private observeRetry({ retryCount }: BeforeRetryState): void {
    this.retries = retryCount;
    this.observe(retryCount, 'retry');
    this.status = undefined;
  }

  /** One token of the policy's share before an HTTP attempt (the rollover may wait for it). */
  async spend(): Promise<void> {
    const { deadline, share } = this.policy;
    await this.options.budget?.spend({ share, wait: this.waitsForRateLimit, deadline });
  }

  observe(attempt: number, outcome: ClientAttempt['outcome']): void {
    const { operation, method, path } = this.call;
    try {
      this.options.onAttempt?.({ operation, method, path, attempt, status: this.status, outcome });
    } catch {
      // An observer must never change the outcome of a call.
    }
  }
}
