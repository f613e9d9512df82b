import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SandboxFault, SandboxOperation } from '../../sandbox/types.ts';
import type { RouteName } from '../../shared/http/routes.ts';
import { yearIn } from '../../shared/rollover/time.ts';
import { jsonBody, startApiHarness } from '../support/api-harness.ts';
import type { ApiAnswer, ApiHarness } from '../support/api-harness.ts';

/**
 * The sandbox's faults driven through the HTTP handlers and the rollover together: nothing lost,
 * nothing duplicated, every answer in the error contract, and (at the end, over everything this
 * file did) the API key in no log line and no response.
 */

/** The next year in Lisbon: one a real run may change, whatever today's date. */
const NEXT = yearIn(new Date()) + 1;
let api: ApiHarness;
const everyAnswer: ApiAnswer[] = [];

beforeAll(async () => {
  api = await startApiHarness({ sandbox: { apiKey: 'k-reliability-5b9e0c7d2a41' } });
});
afterAll(async () => {
  await api?.close();
});
beforeEach(() => {
  api.sandbox.reset();
});

const ERROR_CODES: Record<number, string[]> = {
  400: ['invalid_request'],
  404: ['not_found'],
  409: ['serie_exists', 'invalid_state', 'rollover_in_progress'],
  415: ['unsupported_media_type'],
  422: ['rejected'],
  429: ['rate_limited'],
  500: ['internal_error'],
  502: ['upstream_error'],
  504: ['upstream_timeout'],
};

async function call(name: RouteName, request: Parameters<ApiHarness['invoke']>[1] = {}, options?: { timeoutMs?: number }): Promise<ApiAnswer> {
  const answer = await api.invoke(name, request, options);
  everyAnswer.push(answer);
  expect(answer.headers['x-request-id']).toMatch(/.+/);
  if (answer.status >= 400) {
    const error = answer.json['error'] as { code: string; message: string; requestId: string };
    expect(ERROR_CODES[answer.status], `unexpected status ${String(answer.status)}`).toContain(error.code);
    expect(error.requestId).toBe(answer.headers['x-request-id']);
    if (answer.status === 429) expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(0);
  }
  return answer;
}

function seriesCount(serie: string): number {
  return api.sandbox.sequences().filter((sequence) => sequence.serie === serie).length;
}

const OPERATIONS: SandboxOperation[] = ['list', 'get', 'create', 'register', 'set_current'];

describe('creates under faults: each serie exists exactly when the API said 201', () => {
  const faults: [string, SandboxFault][] = [
    ['503 burst', { kind: 'status', status: 503 }],
    ['500 burst', { kind: 'status', status: 500 }],
    ['429 storm', { kind: 'status', status: 429, retryAfterSeconds: 120 }],
    ['hang past the timeout', { kind: 'hang' }],
    ['dropped responses', { kind: 'drop_response' }],
  ];

  it.each(faults)('%s on every other create', async (_name, fault) => {
    const answers = new Map<string, number>();
    for (let i = 0; i < 8; i++) {
      if (i % 2 === 0) api.sandbox.addFault({ fault, operations: ['create'], times: 1 });
      const serie = `R${String(i)}`;
      answers.set(serie, (await call('createSequence', jsonBody({ serie }))).status);
    }
    for (const [serie, status] of answers) {
      expect([201, 429, 502, 504]).toContain(status);
      // 201 ⇔ created exactly once; a failure answer ⇔ nothing created (never half-done, never twice).
      expect(seriesCount(serie), `${serie} answered ${String(status)}`).toBe(status === 201 ? 1 : 0);
    }
    // A create is never re-sent: one POST per request.
    expect(api.sandbox.requests.filter((r) => r.operation === 'create')).toHaveLength(8);
  });
});

describe('reads and PUTs under bursts', () => {
  it('5xx bursts on reads and set_current are absorbed by retries; a register 5xx is never re-sent', async () => {
    api.sandbox.setAt({ onCreate: 'pending' });
    const created = await call('createSequence', jsonBody({ serie: 'B2027', default: false }));
    const id = String((created.json['sequence'] as { id: number }).id);
    for (const operation of ['list', 'get', 'set_current'] as const) {
      api.sandbox.addFault({ fault: { kind: 'status', status: 503 }, operations: [operation], times: 1 });
    }
    expect((await call('listSequences')).status).toBe(200);
    expect((await call('getSequence', { pathParameters: { id } })).status).toBe(200);
    api.sandbox.addFault({ fault: { kind: 'status', status: 503 }, operations: ['register'], times: 1 });
    expect((await call('registerSequence', { pathParameters: { id } })).status).toBe(502);
    expect(api.sandbox.requests.filter((r) => r.operation === 'register')).toHaveLength(1);
    expect((await call('registerSequence', { pathParameters: { id } })).status).toBe(200);
    const current = await call('setCurrentSequence', { pathParameters: { id } });
    expect(current.status).toBe(200);
    expect(current.json['sequence']).toMatchObject({ isDefault: true });
  });

  it('a 429 is answered at once to API callers, with Retry-After', async () => {
    for (const operation of OPERATIONS.filter((o) => o !== 'create')) {
      api.sandbox.addFault({ fault: { kind: 'status', status: 429, retryAfterSeconds: 7 }, operations: [operation], times: 1 });
    }
    const answer = await call('listSequences');
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('7');
    expect(api.sandbox.requests).toHaveLength(1);
  });

  it('a rate-limit storm: concurrent requests answer 2xx or 429, and creates stay exact', async () => {
    api.sandbox.setRateLimit(15);
    const requests: Promise<ApiAnswer>[] = [];
    for (let i = 0; i < 30; i++) {
      requests.push(i % 3 === 0 ? call('createSequence', jsonBody({ serie: `S${String(i)}` })) : call('getSequence', { pathParameters: { id: '146090' } }));
    }
    const answers = await Promise.all(requests);
    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses].every((s) => [200, 201, 429].includes(s))).toBe(true);
    expect(statuses.has(429)).toBe(true);
    answers.forEach((answer, i) => {
      if (i % 3 === 0) expect(seriesCount(`S${String(i)}`)).toBe(answer.status === 201 ? 1 : 0);
    });
  });
});

describe('rollover under faults, through POST /rollover', () => {
  it('five concurrent prepares with lost answers and bursts → one runs at a time, exactly one registered serie', async () => {
    const serie = String(NEXT);
    api.sandbox.setAt({ onCreate: 'pending' });
    api.sandbox.addFault({ fault: { kind: 'drop_response' }, operations: ['create'], times: 1 });
    api.sandbox.addFault({ fault: { kind: 'status', status: 503 }, operations: ['list'], times: 2 });
    const runs = await Promise.all(Array.from({ length: 5 }, () => call('runRollover', jsonBody({ phase: 'prepare', year: NEXT }))));
    expect(seriesCount(serie)).toBe(1);
    // The others found the lock held; every run that ran finished or stopped in a resumable state.
    expect(runs.filter((run) => run.status === 409).length).toBeGreaterThan(0);
    const outcomes = runs.filter((run) => run.status === 200).map((run) => run.json['outcome']);
    expect(outcomes.every((o) => o === 'ready' || o === 'failed' || o === 'already_done')).toBe(true);
    const settle = await call('runRollover', jsonBody({ phase: 'prepare', year: NEXT }));
    expect(['ready', 'already_done']).toContain(settle.json['outcome']);
    expect(api.sandbox.sequences().find((s) => s.serie === serie)).not.toHaveProperty('current_invoice_validation_code', 'N/D');
    expect(seriesCount(serie)).toBe(1);
    expect(seriesCount(`${serie}B`)).toBe(0);
  });

  it('a rate-limit storm the deadline cannot wait out stops the run cleanly; the next run finishes it', async () => {
    api.sandbox.setRateLimit(2);
    // A short function timeout: waiting for InvoiceXpress's next minute does not fit.
    const first = await call('runRollover', jsonBody({ phase: 'activate', year: NEXT }), { timeoutMs: 6_000 });
    expect(first.status).toBe(200);
    expect(['failed', 'incomplete']).toContain(first.json['outcome']);
    api.sandbox.setRateLimit(undefined);
    const second = await call('runRollover', jsonBody({ phase: 'activate', year: NEXT }));
    expect(second.json).toMatchObject({ outcome: 'activated', sequence: { serie: String(NEXT), isDefault: true } });
    expect(seriesCount(String(NEXT))).toBe(1);
  });

  it('InvoiceXpress hanging on every call: the run fails with a timeout, nothing half-made stays unresumable', async () => {
    api.sandbox.addFault({ fault: { kind: 'hang' }, operations: ['list'], times: 3 });
    const first = await call('runRollover', jsonBody({ phase: 'prepare', year: NEXT }));
    expect(first.json['outcome']).toBe('failed');
    expect(JSON.stringify(first.json['steps'])).toContain('timeout');
    const second = await call('runRollover', jsonBody({ phase: 'prepare', year: NEXT }));
    expect(second.json['outcome']).toBe('ready');
    expect(seriesCount(String(NEXT))).toBe(1);
  });
});

describe('the key never leaks', () => {
  it('in no response and no log line of everything this file did', () => {
    expect(everyAnswer.length).toBeGreaterThan(50);
    for (const answer of everyAnswer) expect(answer.text).not.toContain(api.sandbox.apiKey);
    const logs = api.logs.join('');
    expect(logs.length).toBeGreaterThan(1000);
    expect(logs).not.toContain(api.sandbox.apiKey);
    expect(logs).not.toContain('api_key=');
  });
});
