import type { InvoiceXpressClientOptions } from './types.ts';

const DEFAULT_TIMEOUT_MS = 8_000;
const DEFAULT_TOTAL_TIMEOUT_MS = 25_000;
const DEFAULT_RETRY = Object.freeze({ limit: 2, baseDelayMs: 200, maxDelayMs: 3_000 });
/** A list reporting more pages than this is refused (malformed_response) rather than cut short. */
export const MAX_LIST_PAGES = 500;
/** Rate-limit waits one call may make (each up to a minute), on top of the retry limit. */
export const MAX_RATE_LIMIT_WAITS = 3;
/** Another attempt is started only with at least this much of the deadline left for it. */
export const MIN_ATTEMPT_MS = 100;
const MAX_TIMER_MS = 2_147_483_647;

function checkMs(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
    throw new RangeError(`InvoiceXpress client option ${name} must be a number of milliseconds (at least ${String(min)})`);
  }
}

export function baseUrlOf(options: Pick<InvoiceXpressClientOptions, 'accountName' | 'baseUrl'>): string {
  if (options.baseUrl === undefined) {
    if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i.test(options.accountName)) {
      throw new TypeError('InvoiceXpress client option accountName must be a host label (letters, digits, -)');
    }
    return `https://${options.accountName}.app.invoicexpress.com`;
  }
  let parsed: URL;
  try {
    parsed = new URL(options.baseUrl);
  } catch {
    throw new TypeError('InvoiceXpress client option baseUrl is not a valid URL');
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new TypeError('InvoiceXpress client option baseUrl must not carry a query or fragment');
  }
  return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
}

export function resolveOptions(options: InvoiceXpressClientOptions) {
  if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
    throw new TypeError('InvoiceXpress client option apiKey is required');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const totalTimeoutMs = options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS;
  const retry = options.retry ?? DEFAULT_RETRY;
  checkMs('timeoutMs', timeoutMs, 1);
  checkMs('totalTimeoutMs', totalTimeoutMs, 1);
  checkMs('retry.baseDelayMs', retry.baseDelayMs, 0);
  checkMs('retry.maxDelayMs', retry.maxDelayMs, 0);
  if (!Number.isInteger(retry.limit) || retry.limit < 0 || retry.limit > 10) {
    throw new RangeError('InvoiceXpress client option retry.limit must be an integer from 0 to 10');
  }
  return { baseUrl: baseUrlOf(options), apiKey: options.apiKey, timeoutMs, totalTimeoutMs, retry, onAttempt: options.onAttempt, budget: options.budget };
}

export type ResolvedOptions = ReturnType<typeof resolveOptions>;
