import { setTimeout as sleep } from 'node:timers/promises';
import ky from 'ky';
import type { KyInstance } from 'ky';
import type { Sequence } from '../sequence.ts';
import { InvoiceXpressError } from './errors.ts';
import type { InvoiceXpressErrorKind, InvoiceXpressOperation } from './errors.ts';
import { backoffDelay } from '../runtime/backoff.ts';
import { redact } from './redact.ts';
import type { ClientAttempt, InvoiceXpressClient, InvoiceXpressClientOptions } from './types.ts';
import {
  isSerieTakenMessage,
  malformed,
  parseErrorMessages,
  parseJsonBody,
  parseSequenceBody,
  parseSequenceListBody,
} from './wire.ts';
import type { WireContext } from './wire.ts';

/**
 * InvoiceXpress sequence client on ky.
 *
 * Retries are OUR loop around ky (ky's own retry is off: `retry: 0`), so the policy is in one
 * place and independent of ky's version:
 * - GET and the two PUTs: retried on 429, 500, 502, 503, 504, network errors and per-attempt
 *   timeouts, up to `retry.limit` times, with exponential backoff and jitter; a Retry-After
 *   (seconds or HTTP date) is honoured when it is within `retry.maxDelayMs`, otherwise we give up
 *   at once (rate_limited carrying retryAfterSeconds for a 429).
 * - create (POST): exactly one attempt, whatever happens (timeout, 5xx, lost connection): it may
 *   have been applied, and only reading the state can tell.
 * - Every call (all attempts, waits and pages) is bounded by `totalTimeoutMs`; each attempt by
 *   `timeoutMs` (ky's `timeout` for the headers, plus our signal covering the body).
 *
 * Secrets: ky is told not to throw on HTTP statuses, and whatever ky/fetch does throw (timeouts,
 * network errors — their messages, `request` and `options` carry the URL with ?api_key=) is
 * classified and dropped, never attached. Every error that leaves this module is an
 * InvoiceXpressError built from our own words (operation, path without query, status, and
 * InvoiceXpress's messages passed through `redact`), with no `cause`.
 */

export const DEFAULT_TIMEOUT_MS = 8_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 25_000;
export const DEFAULT_RETRY = Object.freeze({ limit: 2, baseDelayMs: 200, maxDelayMs: 3_000 });
/** A list reporting more pages than this is refused (malformed_response) rather than cut short. */
export const MAX_LIST_PAGES = 500;

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const MAX_TIMER_MS = 2_147_483_647;

type Method = ClientAttempt['method'];

interface RequestSpec<T> {
  operation: InvoiceXpressOperation;
  method: Method;
  /** Path without query string, e.g. /sequences/123.json */
  path: string;
  query?: Record<string, string> | undefined;
  body?: unknown;
  /** Only idempotent requests (GET, PUT) are retried. */
  retryable: boolean;
  /** Turns a 2xx answer into the result; throws InvoiceXpressError (malformed_response). */
  parse: (text: string, context: WireContext) => T;
}

interface Budget {
  deadlineAt: number;
  totalMs: number;
  signal: AbortSignal;
}

type AttemptResult =
  | { type: 'response'; status: number; headers: Headers; text: string }
  | { type: 'timeout'; scope: 'attempt' | 'total'; ms: number }
  | { type: 'network'; detail: string };

function checkPositive(name: string, value: number, max = MAX_TIMER_MS): void {
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new RangeError(`InvoiceXpress client option ${name} must be a positive number of milliseconds`);
  }
}

function resolveOptions(options: InvoiceXpressClientOptions) {
  if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
    throw new TypeError('InvoiceXpress client option apiKey is required');
  }
  let baseUrl: string;
  if (options.baseUrl !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(options.baseUrl);
    } catch {
      throw new TypeError('InvoiceXpress client option baseUrl is not a valid URL');
    }
    if (parsed.search !== '' || parsed.hash !== '') {
      throw new TypeError('InvoiceXpress client option baseUrl must not carry a query or fragment');
    }
    baseUrl = `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
  } else {
    if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i.test(options.accountName)) {
      throw new TypeError('InvoiceXpress client option accountName must be a host label (letters, digits, -)');
    }
    baseUrl = `https://${options.accountName}.app.invoicexpress.com`;
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  checkPositive('timeoutMs', timeoutMs);
  const totalTimeoutMs = options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS;
  checkPositive('totalTimeoutMs', totalTimeoutMs);
  const retry = options.retry ?? DEFAULT_RETRY;
  if (!Number.isInteger(retry.limit) || retry.limit < 0 || retry.limit > 10) {
    throw new RangeError('InvoiceXpress client option retry.limit must be an integer from 0 to 10');
  }
  for (const [name, value] of [
    ['retry.baseDelayMs', retry.baseDelayMs],
    ['retry.maxDelayMs', retry.maxDelayMs],
  ] as const) {
    if (!Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
      throw new RangeError(`InvoiceXpress client option ${name} must be a non-negative number of milliseconds`);
    }
  }
  return { baseUrl, apiKey: options.apiKey, timeoutMs, totalTimeoutMs, retry, onAttempt: options.onAttempt };
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date. Undefined when absent/unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function kindForStatus(status: number): InvoiceXpressErrorKind {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 404:
      return 'not_found';
    case 406:
      return 'invalid_state';
    case 422:
      return 'rejected';
    case 429:
      return 'rate_limited';
    default:
      return 'upstream';
  }
}

/** A short, secret-free description of a fetch/ky failure: only a system error code, if any. */
function networkDetail(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return 'connection failed';
}

function isTimeoutError(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

function attemptsNote(attempts: number): string {
  return attempts > 1 ? ` after ${String(attempts)} attempts` : '';
}

export function createInvoiceXpressClient(options: InvoiceXpressClientOptions): InvoiceXpressClient {
  const config = resolveOptions(options);
  const clean = (text: string): string => redact(text, config.apiKey);

  // One ky instance per client. ky never throws for HTTP statuses here and never retries: the
  // status mapping and the retry policy below are the only ones.
  const http: KyInstance = ky.create({
    headers: { accept: 'application/json' },
    timeout: config.timeoutMs,
    retry: 0,
    throwHttpErrors: false,
    // A redirect would carry ?api_key= to wherever it points: answer it as an unexpected status.
    redirect: 'manual',
  });

  function newBudget(): Budget {
    return {
      deadlineAt: Date.now() + config.totalTimeoutMs,
      totalMs: config.totalTimeoutMs,
      signal: AbortSignal.timeout(config.totalTimeoutMs),
    };
  }

  function report(attempt: ClientAttempt): void {
    try {
      config.onAttempt?.(attempt);
    } catch {
      // An observer must never change the outcome of a call.
    }
  }

  async function perform(spec: RequestSpec<unknown>, budget: Budget): Promise<AttemptResult> {
    const remaining = budget.deadlineAt - Date.now();
    if (remaining <= 0 || budget.signal.aborted) return { type: 'timeout', scope: 'total', ms: budget.totalMs };
    const attemptMs = Math.max(1, Math.min(config.timeoutMs, remaining));
    // ky's `timeout` bounds the wait for the headers; this signal also bounds reading the body.
    const attemptSignal = AbortSignal.timeout(attemptMs);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (spec.method !== 'GET') headers['content-type'] = 'application/json; charset=utf-8';
    try {
      const response = await http(`${config.baseUrl}${spec.path}`, {
        method: spec.method,
        searchParams: { ...spec.query, api_key: config.apiKey },
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        timeout: attemptMs,
        signal: AbortSignal.any([budget.signal, attemptSignal]),
      });
      const text = await response.text();
      return { type: 'response', status: response.status, headers: response.headers, text };
    } catch (error) {
      // The thrown object carries the URL (and so the key): it is classified here and dropped.
      if (budget.signal.aborted) return { type: 'timeout', scope: 'total', ms: budget.totalMs };
      if (attemptSignal.aborted || isTimeoutError(error)) return { type: 'timeout', scope: 'attempt', ms: attemptMs };
      return { type: 'network', detail: networkDetail(error) };
    }
  }

  function failureFor(
    spec: RequestSpec<unknown>,
    result: AttemptResult,
    attempts: number,
    note?: string,
  ): InvoiceXpressError {
    const { operation, path } = spec;
    const maybeApplied =
      spec.method === 'POST' ? '; the create may have been applied, read the state before trying again' : '';
    const suffix = (note === undefined ? '' : ` (${note})`) + attemptsNote(attempts);
    if (result.type === 'timeout') {
      const what =
        result.scope === 'total'
          ? `did not complete within its ${String(result.ms)} ms budget`
          : `did not answer within ${String(result.ms)} ms`;
      return new InvoiceXpressError({
        kind: 'timeout',
        operation,
        message: clean(`InvoiceXpress ${operation} ${path} ${what}${suffix}${maybeApplied}`),
      });
    }
    if (result.type === 'network') {
      return new InvoiceXpressError({
        kind: 'network',
        operation,
        message: clean(`InvoiceXpress ${operation} ${path} could not be reached (${result.detail})${suffix}${maybeApplied}`),
      });
    }
    const { status } = result;
    const messages = parseErrorMessages(result.text).map(clean);
    let kind = kindForStatus(status);
    if (kind === 'rejected' && operation === 'create' && messages.some(isSerieTakenMessage)) kind = 'serie_exists';
    const retryAfterMs = parseRetryAfter(result.headers.get('retry-after'));
    const retryAfterSeconds =
      retryAfterMs === undefined || !RETRY_STATUSES.has(status) ? undefined : Math.ceil(retryAfterMs / 1000);
    const said = messages.length > 0 ? `: ${messages.join('; ')}` : '';
    const applied = status >= 500 ? maybeApplied : '';
    return new InvoiceXpressError({
      kind,
      operation,
      status,
      messages,
      retryAfterSeconds,
      message: clean(`InvoiceXpress ${operation} ${path} answered ${String(status)}${said}${suffix}${applied}`),
    });
  }

  async function request<T>(spec: RequestSpec<T>, budget: Budget): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const result = await perform(spec, budget);
      const durationMs = Math.round(performance.now() - started);
      const status = result.type === 'response' ? result.status : undefined;
      const base = { operation: spec.operation, method: spec.method, path: spec.path, attempt, status, durationMs };

      if (result.type === 'response' && result.status >= 200 && result.status < 300) {
        let value: T;
        try {
          value = spec.parse(result.text, { operation: spec.operation, path: spec.path, status: result.status });
        } catch (error) {
          report({ ...base, outcome: 'error' });
          if (error instanceof InvoiceXpressError) throw error;
          throw malformed({ operation: spec.operation, path: spec.path, status: result.status }, 'unreadable answer');
        }
        report({ ...base, outcome: 'ok' });
        return value;
      }

      // Decide whether (and how long) to wait before another attempt.
      let waitMs: number | undefined;
      let note: string | undefined;
      const mayRetry = spec.retryable && attempt <= config.retry.limit;
      if (result.type === 'timeout' && result.scope === 'total') {
        waitMs = undefined;
      } else if (result.type === 'timeout' || result.type === 'network') {
        if (mayRetry) waitMs = backoffDelay(attempt, config.retry.baseDelayMs, config.retry.maxDelayMs);
      } else if (RETRY_STATUSES.has(result.status) && mayRetry) {
        const retryAfterMs = parseRetryAfter(result.headers.get('retry-after'));
        if (retryAfterMs === undefined) {
          waitMs = backoffDelay(attempt, config.retry.baseDelayMs, config.retry.maxDelayMs);
        } else if (retryAfterMs <= config.retry.maxDelayMs) {
          waitMs = retryAfterMs;
        } else {
          note = `Retry-After ${String(Math.ceil(retryAfterMs / 1000))} s is longer than the ${String(config.retry.maxDelayMs)} ms we may wait`;
        }
      }
      // Leave time for the next attempt to at least start within the call's budget.
      if (waitMs !== undefined && Date.now() + waitMs >= budget.deadlineAt) {
        note = 'no time left in the call budget for another attempt';
        waitMs = undefined;
      }

      if (waitMs === undefined) {
        report({ ...base, outcome: 'error' });
        throw failureFor(spec, result, attempt, note);
      }
      report({ ...base, outcome: 'retry' });
      try {
        await sleep(waitMs, undefined, { signal: budget.signal });
      } catch {
        throw failureFor(spec, { type: 'timeout', scope: 'total', ms: budget.totalMs }, attempt);
      }
    }
  }

  function sequencePath(id: number, suffix = ''): string {
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw new RangeError('InvoiceXpress sequence id must be a positive integer');
    }
    return `/sequences/${String(id)}${suffix}.json`;
  }

  const parseSingle = (text: string, context: WireContext): Sequence =>
    parseSequenceBody(parseJsonBody(text, context), context);
  const parseList = (text: string, context: WireContext) => parseSequenceListBody(parseJsonBody(text, context), context);
  const ignoreBody = (): undefined => undefined;

  return {
    async list(): Promise<Sequence[]> {
      const budget = newBudget();
      const spec = { operation: 'list', method: 'GET', path: '/sequences.json', retryable: true, parse: parseList } as const;
      const first = await request(spec, budget);
      const byId = new Map<number, Sequence>();
      const add = (sequences: Sequence[]): void => {
        for (const sequence of sequences) if (!byId.has(sequence.id)) byId.set(sequence.id, sequence);
      };
      add(first.sequences);
      let totalPages = first.pagination?.total_pages ?? 1;
      if (totalPages > MAX_LIST_PAGES) {
        throw malformed({ ...spec, status: 200 }, `pagination reports ${String(totalPages)} pages, more than ${String(MAX_LIST_PAGES)}`);
      }
      // Page boundaries must match the first page's: ask for the page size it reported (or had).
      const perPage = first.pagination?.per_page ?? (first.sequences.length > 0 ? first.sequences.length : undefined);
      for (let page = 2; page <= totalPages; page++) {
        const query: Record<string, string> = { page: String(page) };
        if (perPage !== undefined) query['per_page'] = String(perPage);
        const next = await request({ ...spec, query }, budget);
        add(next.sequences);
        // A serie created while we read may add a page: follow the largest count seen.
        totalPages = Math.min(MAX_LIST_PAGES, Math.max(totalPages, next.pagination?.total_pages ?? totalPages));
      }
      return [...byId.values()];
    },

    async get(id: number): Promise<Sequence> {
      const path = sequencePath(id);
      return request({ operation: 'get', method: 'GET', path, retryable: true, parse: parseSingle }, newBudget());
    },

    async create(input: { serie: string; isDefault: boolean }): Promise<Sequence> {
      if (typeof input.serie !== 'string' || input.serie.trim() === '') {
        throw new TypeError('InvoiceXpress create needs a non-empty serie');
      }
      return request(
        {
          operation: 'create',
          method: 'POST',
          path: '/sequences.json',
          body: { sequence: { serie: input.serie, default_sequence: input.isDefault ? '1' : '0' } },
          // NEVER retried: a lost answer may hide a created serie; the caller reads the state.
          retryable: false,
          parse: parseSingle,
        },
        newBudget(),
      );
    },

    async register(id: number): Promise<void> {
      const path = sequencePath(id, '/register');
      await request({ operation: 'register', method: 'PUT', path, retryable: true, parse: ignoreBody }, newBudget());
    },

    async setCurrent(id: number): Promise<void> {
      const path = sequencePath(id, '/set_current');
      await request({ operation: 'set_current', method: 'PUT', path, retryable: true, parse: ignoreBody }, newBudget());
    },
  };
}
