import ky from 'ky';
import type { KyInstance, Options } from 'ky';
import { Deadline } from '../runtime/deadline.ts';
import type { Sequence } from '../sequences/sequence.ts';
import { AttemptPolicy } from './attempt-policy.ts';
import { DeadlineReached } from './call.ts';
import type { Call, ResolvedPolicy } from './call.ts';
import { failureOf } from './failures.ts';
import { MAX_LIST_PAGES, MIN_ATTEMPT_MS, resolveOptions } from './options.ts';
import type { CallPolicy, InvoiceXpressClient, InvoiceXpressClientOptions, InvoiceXpressConnection } from './types.ts';
import { malformed, parseJsonBody, parseSequenceBody, parseSequenceListBody } from './wire.ts';
import type { WireContext } from './wire.ts';

export { parseRetryAfter, untilNextMinute } from './failures.ts';

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

const JSON_UTF8 = 'application/json; charset=utf-8';

type Send = <T>(call: Call<T>, policy: ResolvedPolicy) => Promise<T>;

function sequencePath(id: number, suffix = ''): string {
  if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError('InvoiceXpress sequence id must be a positive integer');
  return `/sequences/${String(id)}${suffix}.json`;
}

const parseSingle = (text: string, context: WireContext): Sequence => parseSequenceBody(parseJsonBody(text, context), context);
const parseList = (text: string, context: WireContext) => parseSequenceListBody(parseJsonBody(text, context), context);
const ignoreBody = (): undefined => undefined;

/** Every page of the list, deduplicated by id (`send` is the client's). */
async function listAll(send: Send, policy: ResolvedPolicy): Promise<Sequence[]> {
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

/** ky's options for one call: its attempt time limits fit in what is left of the deadline. */
function requestOf(call: Call<unknown>, attempts: AttemptPolicy, limits: { apiKey: string; timeoutMs: number; remaining: number }): Options {
  return {
    method: call.method,
    searchParams: { ...call.query, api_key: limits.apiKey },
    headers: call.method === 'GET' ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': JSON_UTF8 },
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
    timeout: Math.min(limits.timeoutMs, limits.remaining),
    totalTimeout: limits.remaining,
    retry: attempts.retryOptions(),
    hooks: attempts.hooks(),
  };
}

export function createInvoiceXpressClient(options: InvoiceXpressClientOptions): InvoiceXpressConnection {
  const config = resolveOptions(options);
  // ky throws for HTTP statuses (its retry works on those errors); redirects would carry
  // ?api_key= to wherever they point, so they are answered as an unexpected status.
  const http: KyInstance = ky.create({ redirect: 'manual', throwHttpErrors: true });

  /** One InvoiceXpress call: every attempt, wait and body read ends by the policy's deadline. */
  async function send<T>(call: Call<T>, policy: ResolvedPolicy): Promise<T> {
    const attempts = new AttemptPolicy(call, policy, config);
    try {
      if (policy.deadline.expired(MIN_ATTEMPT_MS)) throw new DeadlineReached();
      // The rollover may wait here for a token: the attempt's time limits start after it.
      await attempts.spend();
      const remaining = policy.deadline.remainingMs();
      if (remaining < MIN_ATTEMPT_MS) throw new DeadlineReached();
      const text = await http(
        `${config.baseUrl}${call.path}`,
        requestOf(call, attempts, { apiKey: config.apiKey, timeoutMs: config.timeoutMs, remaining }),
      ).text();
      const value = call.parse(text, { operation: call.operation, path: call.path, status: attempts.status });
      attempts.observe(attempts.attempts, 'ok');
      return value;
    } catch (error) {
      attempts.observe(attempts.attempts, 'error');
      throw failureOf(call, error, { attempts: attempts.attempts, deadline: policy.deadline, apiKey: config.apiKey, timeoutMs: config.timeoutMs });
    }
  }

  function bind(policyFor: () => ResolvedPolicy): InvoiceXpressClient {
    return {
      list: () => listAll(send, policyFor()),
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
      return bind(() => resolvedPolicy(policy));
    },
    async checkAccess(policy: CallPolicy): Promise<void> {
      await send({ operation: 'list', method: 'GET', path: '/sequences.json', idempotent: true, parse: parseList }, resolvedPolicy(policy));
    },
  };
}

const resolvedPolicy = (policy: CallPolicy): ResolvedPolicy => ({
  deadline: policy.deadline,
  onRateLimit: policy.onRateLimit ?? 'fail',
  share: policy.share ?? 'api',
});
