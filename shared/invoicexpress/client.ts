import ky, { isHTTPError, isTimeoutError } from 'ky';
import type { AfterResponseState, BeforeRetryState, KyInstance, Options, RetryOptions } from 'ky';
import { BudgetExhaustedError } from '../budget/budget.ts';
import { Deadline } from '../runtime/deadline.ts';
import { systemErrorCode } from '../runtime/system-error.ts';
import type { Sequence } from '../sequence.ts';
import { InvoiceXpressError } from './errors.ts';
import type { InvoiceXpressErrorKind, InvoiceXpressOperation } from './errors.ts';
import { redact, redactValue } from './redact.ts';
import { classifyRefusal } from './refusals.ts';
import type { CallPolicy, ClientAttempt, InvoiceXpressClient, InvoiceXpressClientOptions, InvoiceXpressConnection } from './types.ts';
import { malformed, parseErrorBody, parseJsonBody, parseSequenceBody, parseSequenceListBody } from './wire.ts';
import type { WireContext } from './wire.ts';

/**
 * InvoiceXpress sequence client on ky: ky's retry (methods, status codes, Retry-After), its
 * per-attempt `timeout` and `totalTimeout`, and two hooks (rate-limit waits, the attempt observer).
 *
 * - Every call ends by the caller's deadline (`withPolicy`), or within `totalTimeoutMs`.
 * - GET and set_current (idempotent) are retried on 408/5xx, timeouts and network errors, with
 *   exponential backoff and jitter. create and register are sent ONCE: a lost answer may hide a
 *   serie created or a registration AT already has; the caller reads the state instead.
 * - A 429 is answered at once (`onRateLimit: 'fail'`, API callers retry after Retry-After) or waited
 *   out as InvoiceXpress says, else until the next minute, while the deadline allows
 *   (`'wait'`, the rollover). A 429 means InvoiceXpress did not act, so any call may wait it out.
 * - A request budget (shared/budget), when given, is spent before every attempt: refused, the
 *   call fails as rate_limited without reaching InvoiceXpress (or, in 'wait' mode, waits for it).
 * - Secrets: whatever ky or fetch throws carries the URL, and so the key; it is turned into an
 *   InvoiceXpressError of our own words (operation, path without query, status, InvoiceXpress's
 *   messages through `redact`) in `send`'s catch and dropped there.
 */

export const DEFAULT_TIMEOUT_MS = 8_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 25_000;
export const DEFAULT_RETRY = Object.freeze({ limit: 2, baseDelayMs: 200, maxDelayMs: 3_000 });
/** A list reporting more pages than this is refused (malformed_response) rather than cut short. */
export const MAX_LIST_PAGES = 500;
/** Rate-limit waits one call may make (each up to a minute), on top of the retry limit. */
export const MAX_RATE_LIMIT_WAITS = 3;
/** Another attempt is started only with at least this much of the deadline left for it. */
const MIN_ATTEMPT_MS = 100;
const MAX_TIMER_MS = 2_147_483_647;
const JSON_UTF8 = 'application/json; charset=utf-8';

interface Call<T> {
  operation: InvoiceXpressOperation;
  method: 'GET' | 'POST' | 'PUT';
  /** Path without query string, e.g. /sequences/123.json */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Safe to repeat after an unclear answer: GET and set_current. */
  idempotent: boolean;
  /** Turns a 2xx answer into the result; throws InvoiceXpressError (malformed_response). */
  parse: (text: string, context: WireContext) => T;
}

interface ResolvedPolicy {
  deadline: Deadline;
  onRateLimit: 'fail' | 'wait';
  share: 'api' | 'rollover';
}

function checkMs(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
    throw new RangeError(`InvoiceXpress client option ${name} must be a number of milliseconds (at least ${String(min)})`);
  }
}

/** The account's base URL (or the override's, checked): the client's rule, and the probe's. */
export function baseUrlOf(options: InvoiceXpressClientOptions): string {
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

function resolveOptions(options: InvoiceXpressClientOptions) {
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

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date. Undefined when absent/unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  const text = value?.trim() ?? '';
  if (text === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Until just past the next minute boundary: per-minute limits reset there. */
export function untilNextMinute(now = Date.now()): number {
  return 60_000 - (now % 60_000) + 250;
}

const KIND_BY_STATUS: Record<number, InvoiceXpressErrorKind> = {
  401: 'unauthorized',
  404: 'not_found',
  406: 'invalid_state',
  409: 'rejected',
  422: 'rejected',
  429: 'rate_limited',
};

export function createInvoiceXpressClient(options: InvoiceXpressClientOptions): InvoiceXpressConnection {
  const config = resolveOptions(options);
  const clean = (text: string): string => redact(text, config.apiKey);
  // ky throws for HTTP statuses (its retry works on those errors); redirects would carry
  // ?api_key= to wherever they point, so they are answered as an unexpected status.
  const http: KyInstance = ky.create({ redirect: 'manual', throwHttpErrors: true });

  function report(attempt: ClientAttempt): void {
    try {
      config.onAttempt?.(attempt);
    } catch {
      // An observer must never change the outcome of a call.
    }
  }

  /**
   * ky's retry options and hooks for one call, and what it saw: what may be retried (transient
   * failures of idempotent calls; a 429 of any call, in 'wait' mode), how long to wait, and the
   * attempts the observer hears about.
   */
  function attemptsOf(call: Call<unknown>, policy: ResolvedPolicy) {
    const seen = { retries: 0, status: undefined as number | undefined };
    let rateLimitWaits = 0;
    let transientRetries = 0;
    const fits = (waitMs: number): boolean => waitMs + MIN_ATTEMPT_MS < policy.deadline.remainingMs();
    const waitsForRateLimit = policy.onRateLimit === 'wait';
    const limit = (call.idempotent ? config.retry.limit : 0) + (waitsForRateLimit ? MAX_RATE_LIMIT_WAITS : 0);
    const observe = (attempt: number, outcome: ClientAttempt['outcome']): void =>
      report({ operation: call.operation, method: call.method, path: call.path, attempt, status: seen.status, outcome });

    const retry: RetryOptions = {
      limit,
      methods: call.idempotent ? ['get', 'put'] : [],
      statusCodes: [408, 500, 502, 503, 504],
      afterStatusCodes: [503],
      retryOnTimeout: true,
      delay: (attempt) => config.retry.baseDelayMs * 2 ** (attempt - 1),
      backoffLimit: config.retry.maxDelayMs,
      jitter: true,
      // ky's limit also counts rate-limit waits: transient failures keep their own count, and a
      // Retry-After past the deadline is not waited for.
      shouldRetry: ({ error }) => {
        if (++transientRetries > config.retry.limit) return false;
        const asked = isHTTPError(error) ? parseRetryAfter(error.response.headers.get('retry-after')) : undefined;
        return asked !== undefined && !fits(asked) ? false : undefined;
      },
    };
    const waitOutRateLimit = ({ response, retryCount }: AfterResponseState) => {
      seen.status = response.status;
      if (response.status !== 429 || !waitsForRateLimit || rateLimitWaits >= MAX_RATE_LIMIT_WAITS || retryCount >= limit) return;
      const waitMs = parseRetryAfter(response.headers.get('retry-after')) ?? untilNextMinute();
      if (!fits(waitMs)) return;
      rateLimitWaits++;
      return ky.retry({ delay: waitMs, code: 'RATE_LIMITED' });
    };
    const observeRetry = ({ retryCount }: BeforeRetryState) => {
      seen.retries = retryCount;
      observe(retryCount, 'retry');
      seen.status = undefined;
    };
    // Every retry is a request too (ky runs beforeRetry hooks before it; what they throw ends the call).
    const spendOnRetry = () => spendBudget(policy);
    return { retry, hooks: { afterResponse: [waitOutRateLimit], beforeRetry: [observeRetry, spendOnRetry] }, seen, observe };
  }

  /** The budget hook: one token of the policy's share before each HTTP attempt. */
  async function spendBudget(policy: ResolvedPolicy): Promise<void> {
    await config.budget?.spend({ share: policy.share, wait: policy.onRateLimit === 'wait', deadline: policy.deadline });
  }

  /** One InvoiceXpress call: every attempt, wait and body read ends by the policy's deadline. */
  async function send<T>(call: Call<T>, policy: ResolvedPolicy): Promise<T> {
    const { retry, hooks, seen, observe } = attemptsOf(call, policy);
    try {
      if (policy.deadline.expired(MIN_ATTEMPT_MS)) throw new DeadlineReached();
      // The rollover may wait here for a token: the attempt's time limits start after it.
      await spendBudget(policy);
      const remaining = policy.deadline.remainingMs();
      if (remaining < MIN_ATTEMPT_MS) throw new DeadlineReached();
      const request: Options = {
        method: call.method,
        searchParams: { ...call.query, api_key: config.apiKey },
        headers: call.method === 'GET' ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': JSON_UTF8 },
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        timeout: Math.min(config.timeoutMs, remaining),
        totalTimeout: remaining,
        retry,
        hooks,
      };
      const text = await http(`${config.baseUrl}${call.path}`, request).text();
      const value = call.parse(text, { operation: call.operation, path: call.path, status: seen.status });
      observe(seen.retries + 1, 'ok');
      return value;
    } catch (error) {
      observe(seen.retries + 1, 'error');
      throw failureOf(call, error, { attempts: seen.retries + 1, deadline: policy.deadline });
    }
  }

  /** Whatever `send` caught, as an InvoiceXpressError of our own words (never the raw error). */
  function failureOf(call: Call<unknown>, error: unknown, context: { attempts: number; deadline: Deadline }): InvoiceXpressError {
    if (error instanceof InvoiceXpressError) return error;
    const { operation, path } = call;
    const after = context.attempts > 1 ? ` after ${String(context.attempts)} attempts` : '';
    const mayHaveActed = call.method === 'GET' ? '' : '; it may have been applied: read the state before trying again';
    if (isHTTPError(error)) {
      const status = error.response.status;
      // Redacted before parseErrorBody cuts messages to length (a cut key matches no form).
      const body = parseErrorBody(redactValue(error.data, config.apiKey));
      const messages = body.messages.map(clean);
      const refusal = status === 409 || status === 422 ? classifyRefusal({ codes: body.codes, messages }) : undefined;
      const kind = operation === 'create' && refusal === 'serie_taken' ? 'serie_exists' : (KIND_BY_STATUS[status] ?? 'upstream');
      const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(error.response.headers.get('retry-after')) : undefined;
      const said = messages.length > 0 ? `: ${messages.join('; ')}` : '';
      return new InvoiceXpressError({
        kind,
        operation,
        status,
        messages,
        codes: body.codes,
        refusal,
        retryAfterSeconds: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
        message: clean(`InvoiceXpress ${operation} ${path} answered ${String(status)}${said}${after}${status >= 500 ? mayHaveActed : ''}`),
      });
    }
    if (error instanceof BudgetExhaustedError) {
      return new InvoiceXpressError({
        kind: 'rate_limited',
        operation,
        retryAfterSeconds: Math.max(1, Math.ceil(error.retryAfterMs / 1000)),
        message: `InvoiceXpress ${operation} ${path} not sent: ${error.message}${after}`,
      });
    }
    if (error instanceof DeadlineReached || isTimeoutError(error)) {
      const why = context.deadline.expired(MIN_ATTEMPT_MS) ? 'before the deadline' : `within ${String(config.timeoutMs)} ms`;
      return new InvoiceXpressError({ kind: 'timeout', operation, message: `InvoiceXpress ${operation} ${path} did not answer ${why}${after}${mayHaveActed}` });
    }
    return new InvoiceXpressError({
      kind: 'network',
      operation,
      message: `InvoiceXpress ${operation} ${path} could not be reached (${systemErrorCode(error) ?? 'connection failed'})${after}${mayHaveActed}`,
    });
  }

  function sequencePath(id: number, suffix = ''): string {
    if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError('InvoiceXpress sequence id must be a positive integer');
    return `/sequences/${String(id)}${suffix}.json`;
  }

  const parseSingle = (text: string, context: WireContext): Sequence => parseSequenceBody(parseJsonBody(text, context), context);
  const parseList = (text: string, context: WireContext) => parseSequenceListBody(parseJsonBody(text, context), context);
  const ignoreBody = (): undefined => undefined;

  async function list(policy: ResolvedPolicy): Promise<Sequence[]> {
    const call = { operation: 'list', method: 'GET', path: '/sequences.json', idempotent: true, parse: parseList } as const;
    const first = await send(call, policy);
    const byId = new Map<number, Sequence>();
    const add = (sequences: Sequence[]): void => {
      for (const sequence of sequences) if (!byId.has(sequence.id)) byId.set(sequence.id, sequence);
    };
    add(first.sequences);
    let totalPages = first.pagination?.total_pages ?? 1;
    if (totalPages > MAX_LIST_PAGES) {
      throw malformed({ ...call, status: 200 }, `pagination reports ${String(totalPages)} pages, more than ${String(MAX_LIST_PAGES)}`);
    }
    // Page boundaries must match the first page's: ask for the page size it reported (or had).
    const perPage = first.pagination?.per_page ?? (first.sequences.length > 0 ? first.sequences.length : undefined);
    for (let page = 2; page <= totalPages; page++) {
      const query: Record<string, string> = { page: String(page) };
      if (perPage !== undefined) query['per_page'] = String(perPage);
      const next = await send({ ...call, query }, policy);
      add(next.sequences);
      // A serie created while we read may add a page: follow the largest count seen.
      totalPages = Math.min(MAX_LIST_PAGES, Math.max(totalPages, next.pagination?.total_pages ?? totalPages));
    }
    return [...byId.values()];
  }

  function bind(policyFor: () => ResolvedPolicy): InvoiceXpressClient {
    return {
      list: () => list(policyFor()),
      get: async (id) => send({ operation: 'get', method: 'GET', path: sequencePath(id), idempotent: true, parse: parseSingle }, policyFor()),
      async create(input) {
        if (typeof input.serie !== 'string' || input.serie.trim() === '') throw new TypeError('InvoiceXpress create needs a non-empty serie');
        const body = { sequence: { serie: input.serie, default_sequence: input.isDefault ? '1' : '0' } };
        return send({ operation: 'create', method: 'POST', path: '/sequences.json', body, idempotent: false, parse: parseSingle }, policyFor());
      },
      async register(id) {
        const path = sequencePath(id, '/register');
        await send({ operation: 'register', method: 'PUT', path, idempotent: false, parse: ignoreBody }, policyFor());
      },
      async setCurrent(id) {
        const path = sequencePath(id, '/set_current');
        await send({ operation: 'set_current', method: 'PUT', path, idempotent: true, parse: ignoreBody }, policyFor());
      },
    };
  }

  return {
    // Without a caller's policy each call gets its own budget and answers a 429 at once.
    ...bind(() => ({ deadline: Deadline.in(config.totalTimeoutMs), onRateLimit: 'fail', share: 'api' })),
    withPolicy(policy: CallPolicy): InvoiceXpressClient {
      const resolved: ResolvedPolicy = { deadline: policy.deadline, onRateLimit: policy.onRateLimit ?? 'fail', share: policy.share ?? 'api' };
      return bind(() => resolved);
    },
  };
}

/** Internal: the deadline left no time to start the call. */
class DeadlineReached extends Error {}
