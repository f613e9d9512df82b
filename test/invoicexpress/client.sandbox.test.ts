import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox } from '../../sandbox/types.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';
import { createInvoiceXpressClient } from '../../shared/invoicexpress/client.ts';
import type { ClientAttempt, InvoiceXpressClientOptions, InvoiceXpressConnection } from '../../shared/invoicexpress/types.ts';
import type { Sequence } from '../../shared/sequences/sequence.ts';
import { closedPortUrl, failure } from '../support/failures.ts';

/** The client against the stateful sandbox over real HTTP. */

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: 'sandbox-key-for-client-tests' });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
});

const FAST_RETRY = { limit: 2, baseDelayMs: 5, maxDelayMs: 50 };

function client(overrides: Partial<InvoiceXpressClientOptions> = {}, attempts?: ClientAttempt[]): InvoiceXpressConnection {
  return createInvoiceXpressClient({
    accountName: sandbox.accountName,
    apiKey: sandbox.apiKey,
    baseUrl: sandbox.url,
    timeoutMs: 2000,
    retry: FAST_RETRY,
    onAttempt: attempts ? (attempt) => attempts.push(attempt) : undefined,
    ...overrides,
  });
}

function requestsFor(operation: string): number {
  return sandbox.requests.filter((request) => request.operation === operation).length;
}

function seeded(sequences: Sequence[]): Sequence {
  const found = sequences.find((sequence) => sequence.serie === '2022');
  if (!found) throw new Error('the sandbox is not seeded with "2022"');
  return found;
}

describe('operations', () => {
  it("list and get return the seeded docs' sequence, normalised", async () => {
    const attempts: ClientAttempt[] = [];
    const ix = client({}, attempts);
    const sequences = await ix.list();
    const docs = seeded(sequences);
    expect(docs).toMatchObject({ id: 146090, serie: '2022', isDefault: true, registered: true });
    expect(docs.documents['invoice']).toEqual({
      sequenceId: 146090,
      lastNumber: 0,
      validationCode: 'ABCD1230',
      atcud: 'registered',
    });
    expect(docs.documents['fees_note']).toEqual({
      sequenceId: 146103,
      lastNumber: 0,
      validationCode: null,
      atcud: 'not_applicable',
    });
    expect(await ix.get(docs.id)).toEqual(docs);
    expect(attempts.map((a) => [a.operation, a.method, a.path, a.attempt, a.status, a.outcome])).toEqual([
      ['list', 'GET', '/sequences.json', 1, 200, 'ok'],
      ['get', 'GET', '/sequences/146090.json', 1, 200, 'ok'],
    ]);
  });

  it('create (pending at AT) → register → set_current, each visible when read back', async () => {
    sandbox.setAt({ onCreate: 'pending', onRegister: 'ok' });
    const ix = client();
    const created = await ix.create({ serie: '2027', isDefault: false });
    expect(created).toMatchObject({ serie: '2027', isDefault: false, registered: false });
    expect(created.documents['invoice']).toMatchObject({ atcud: 'pending', validationCode: null });
    expect(created.id).toBeGreaterThan(0);

    await ix.register(created.id);
    const registered = await ix.get(created.id);
    expect(registered.registered).toBe(true);
    expect(registered.documents['invoice']?.atcud).toBe('registered');

    await ix.setCurrent(created.id);
    const all = await ix.list();
    expect(all.find((s) => s.id === created.id)?.isDefault).toBe(true);
    expect(seeded(all).isDefault).toBe(false);
    expect(all.filter((s) => s.isDefault)).toHaveLength(1);
  });

  it('create with isDefault and AT registering at once', async () => {
    sandbox.setAt({ onCreate: 'register' });
    const created = await client().create({ serie: '2028', isDefault: true });
    expect(created).toMatchObject({ serie: '2028', isDefault: true, registered: true });
    const raw = sandbox.sequences().find((s) => s.serie === '2028');
    expect(raw?.default_sequence).toBe(1);
  });
});

describe('error classes', () => {
  it('401 → unauthorized', async () => {
    const error = await failure(client({ apiKey: 'not-the-key' }).list());
    expect(error).toMatchObject({ kind: 'unauthorized', status: 401, operation: 'list' });
    expect(error.message).toMatch(/^InvoiceXpress list \/sequences\.json answered 401/);
  });

  it('404 → not_found', async () => {
    const error = await failure(client().get(999_999));
    expect(error).toMatchObject({ kind: 'not_found', status: 404, operation: 'get' });
    expect(error.message).toMatch(/^InvoiceXpress get \/sequences\/999999\.json answered 404/);
    expect(requestsFor('get')).toBe(1);
  });

  it('406 (status fault) → invalid_state', async () => {
    sandbox.addFault({ fault: { kind: 'status', status: 406 }, operations: ['set_current'] });
    const error = await failure(client().setCurrent(146090));
    expect(error).toMatchObject({ kind: 'invalid_state', status: 406, operation: 'set_current' });
  });

  it('422 from AT refusing the registration → rejected with its messages', async () => {
    sandbox.setAt({ onCreate: 'pending', onRegister: 'reject', rejectMessage: 'AT recusou a comunicação da série' });
    const ix = client();
    const created = await ix.create({ serie: '2029', isDefault: false });
    const error = await failure(ix.register(created.id));
    expect(error).toMatchObject({ kind: 'rejected', status: 422, operation: 'register' });
    expect(error.messages).toContain('AT recusou a comunicação da série');
    expect(error.message).toContain('AT recusou a comunicação da série');
    expect(requestsFor('register')).toBe(1);
  });

  it('422 on create of an existing serie → serie_exists', async () => {
    const error = await failure(client().create({ serie: '2022', isDefault: false }));
    expect(error).toMatchObject({ kind: 'serie_exists', status: 422, operation: 'create' });
    expect(error.messages.length).toBeGreaterThan(0);
  });

  it('429 without Retry-After: answered at once by default, rate_limited without retryAfterSeconds', async () => {
    const attempts: ClientAttempt[] = [];
    sandbox.addFault({ fault: { kind: 'status', status: 429 } });
    const error = await failure(client({}, attempts).list());
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterSeconds: undefined });
    expect(requestsFor('list')).toBe(1);
    expect(attempts.map((a) => a.outcome)).toEqual(['error']);
  });

  it('429 with Retry-After and onRateLimit "wait": honoured between attempts, within the deadline', async () => {
    sandbox.addFault({ fault: { kind: 'status', status: 429, retryAfterSeconds: 1 }, times: 1 });
    const started = Date.now();
    const sequence = await client()
      .withPolicy({ deadline: Deadline.in(5_000), onRateLimit: 'wait' })
      .get(146090);
    expect(sequence.serie).toBe('2022');
    const gets = sandbox.requests.filter((r) => r.operation === 'get');
    expect(gets.map((r) => r.status)).toEqual([429, 200]);
    expect((gets[1]?.at ?? 0) - (gets[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('429 with a Retry-After longer than the deadline allows: no wait, rate_limited at once', async () => {
    sandbox.addFault({ fault: { kind: 'status', status: 429, retryAfterSeconds: 30 } });
    const error = await failure(
      client()
        .withPolicy({ deadline: Deadline.in(5_000), onRateLimit: 'wait' })
        .list(),
    );
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 30 });
    expect(requestsFor('list')).toBe(1);
  });

  it('the sandbox rate limit surfaces as rate_limited too', async () => {
    sandbox.setRateLimit(1);
    const ix = client({ retry: { limit: 1, baseDelayMs: 5, maxDelayMs: 20 } });
    await ix.list();
    const error = await failure(ix.list());
    expect(error.kind).toBe('rate_limited');
  });

  it.each([500, 502, 503, 504])('%i twice, then success: retried transparently', async (status) => {
    sandbox.addFault({ fault: { kind: 'status', status }, operations: ['get'], times: 2 });
    const sequence = await client().get(146090);
    expect(sequence.serie).toBe('2022');
    expect(sandbox.requests.filter((r) => r.operation === 'get').map((r) => r.status)).toEqual([status, status, 200]);
  });

  it('PUTs are retried on 5xx too', async () => {
    sandbox.addFault({ fault: { kind: 'status', status: 503 }, operations: ['set_current'], times: 1 });
    await client().setCurrent(146090);
    expect(requestsFor('set_current')).toBe(2);
  });

  it('5xx exhausted → upstream', async () => {
    sandbox.addFault({ fault: { kind: 'status', status: 500 } });
    const error = await failure(client().get(146090));
    expect(error).toMatchObject({ kind: 'upstream', status: 500 });
    expect(error.message).toMatch(/^InvoiceXpress get \/sequences\/146090\.json answered 500.*after 3 attempts/);
    expect(requestsFor('get')).toBe(3);
  });

  it('hang → timeout (per attempt, retried for GET)', async () => {
    sandbox.addFault({ fault: { kind: 'hang' } });
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 100, retry: { limit: 1, baseDelayMs: 5, maxDelayMs: 10 } }).get(1));
    expect(error).toMatchObject({ kind: 'timeout', status: undefined });
    expect(error.message).toMatch(/^InvoiceXpress get \/sequences\/1\.json did not answer within 100 ms after 2 attempts/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('hang bounded by the total budget', async () => {
    sandbox.addFault({ fault: { kind: 'hang' } });
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 1000, totalTimeoutMs: 250, retry: { limit: 5, baseDelayMs: 5, maxDelayMs: 10 } }).list());
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('connection refused → network', async () => {
    const attempts: ClientAttempt[] = [];
    const ix = client({ baseUrl: await closedPortUrl() }, attempts);
    const error = await failure(ix.get(1));
    expect(error).toMatchObject({ kind: 'network', status: undefined });
    expect(error.message).toMatch(/^InvoiceXpress get \/sequences\/1\.json could not be reached \(ECONNREFUSED\)/);
    expect(attempts).toHaveLength(3);
  });

  it('a dropped response on GET is a network error, retried', async () => {
    sandbox.addFault({ fault: { kind: 'drop_response' }, operations: ['get'], times: 1 });
    expect((await client().get(146090)).serie).toBe('2022');
  });

  it.each(['not json', '{"sequences":{"serie":"2022"}}', '{"sequences":[{"id":"x"}]}', ''])(
    'malformed body %j → malformed_response, not retried',
    async (body) => {
      sandbox.addFault({ fault: { kind: 'malformed', body } });
      const error = await failure(client().get(146090));
      expect(error).toMatchObject({ kind: 'malformed_response', status: 200 });
      const listError = await failure(client().list());
      expect(listError.kind).toBe('malformed_response');
      expect(requestsFor('get')).toBe(1);
    },
  );
});

describe('create is sent exactly once', () => {
  it.each([
    ['500', { kind: 'status', status: 500 }, 'upstream'],
    ['503 with Retry-After 0', { kind: 'status', status: 503, retryAfterSeconds: 0 }, 'upstream'],
    ['429', { kind: 'status', status: 429 }, 'rate_limited'],
    ['hang', { kind: 'hang' }, 'timeout'],
    ['drop_response', { kind: 'drop_response' }, 'network'],
  ] as const)('under %s', async (_name, fault, kind) => {
    sandbox.addFault({ fault, operations: ['create'] });
    const attempts: ClientAttempt[] = [];
    const error = await failure(
      client({ timeoutMs: 150, retry: { limit: 5, baseDelayMs: 1, maxDelayMs: 5 } }, attempts).create({
        serie: '2030',
        isDefault: false,
      }),
    );
    expect(error.kind).toBe(kind);
    expect(requestsFor('create')).toBe(1);
    expect(attempts).toHaveLength(1);
  });

  it('after a dropped response the caller finds the serie by reading the state', async () => {
    sandbox.addFault({ fault: { kind: 'drop_response' }, operations: ['create'], times: 1 });
    const ix = client();
    await failure(ix.create({ serie: '2031', isDefault: false }));
    expect((await ix.list()).some((s) => s.serie === '2031')).toBe(true);
    expect(requestsFor('create')).toBe(1);
  });
});

describe('pagination', () => {
  it('list reads every page', async () => {
    const ix = client();
    for (const serie of ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7']) await ix.create({ serie, isDefault: false });
    const expected = sandbox.sequences().map((s) => s.id);
    expect(expected.length).toBe(8);
    sandbox.setVariants({ pageSize: 3 });
    const before = requestsFor('list');
    const all = await ix.list();
    expect(all.map((s) => s.id)).toEqual(expected);
    expect(requestsFor('list') - before).toBe(3);

    sandbox.setVariants({ pageSize: 1 });
    expect((await ix.list()).map((s) => s.id)).toEqual(expected);
  });
});

describe('wire variants', () => {
  const variants = [
    { singleKey: 'sequence' },
    { singleKey: 'sequences' },
    { actionBody: 'empty' },
    { actionBody: 'text' },
    { actionBody: 'docs' },
    { stringly: true },
    { stringly: true, singleKey: 'sequence', actionBody: 'text', pageSize: 2 },
  ] as const;

  it.each(variants)('%j: every operation reads the same normalised state', async (variant) => {
    sandbox.setAt({ onCreate: 'pending', onRegister: 'ok' });
    const reference = await client().get(146090);
    sandbox.setVariants(variant);
    const ix = client();
    expect(await ix.get(146090)).toEqual(reference);
    expect(seeded(await ix.list())).toEqual(reference);
    const created = await ix.create({ serie: 'V2027', isDefault: false });
    expect(created).toMatchObject({ serie: 'V2027', isDefault: false, registered: false });
    await ix.register(created.id);
    await ix.setCurrent(created.id);
    const after = await ix.get(created.id);
    expect(after).toMatchObject({ id: created.id, serie: 'V2027', isDefault: true, registered: true });
    expect(typeof after.documents['invoice']?.sequenceId).toBe('number');
  });
});
