import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createInvoiceXpressClient, parseRetryAfter, untilNextMinute } from '../../shared/invoicexpress/client.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';
import type { ClientAttempt, InvoiceXpressClientOptions } from '../../shared/invoicexpress/types.ts';
import { startStub } from './stub-server.ts';
import type { Stub } from './stub-server.ts';
import { failure } from '../support/failures.ts';

/**
 * Wire-level checks against a scripted server: exact headers, query encoding, error bodies and
 * status mapping, Retry-After forms, redirects. The stateful behaviour is tested on the sandbox.
 */

const docsBody = readFileSync(new URL('../fixtures/docs-sequence.json', import.meta.url), 'utf8');
const docsRaw = (JSON.parse(docsBody) as { sequences: Record<string, unknown> }).sequences;
const KEY = 'k+y/=&?é #%SECRET';

let stub: Stub;
beforeAll(async () => {
  stub = await startStub();
});
afterAll(async () => {
  await stub.close();
});
beforeEach(() => {
  stub.reply({ status: 200, body: docsBody });
});

function client(overrides: Partial<InvoiceXpressClientOptions> = {}, attempts?: ClientAttempt[]) {
  return createInvoiceXpressClient({
    accountName: 'acme',
    apiKey: KEY,
    baseUrl: stub.url,
    timeoutMs: 1000,
    retry: { limit: 2, baseDelayMs: 5, maxDelayMs: 100 },
    onAttempt: attempts ? (attempt) => attempts.push(attempt) : undefined,
    ...overrides,
  });
}

describe('requests on the wire', () => {
  it('sends the key URL-encoded as api_key, Accept on GET, no Content-Type on GET', async () => {
    await client().get(146090);
    const [request] = stub.requests;
    expect(request?.method).toBe('GET');
    expect(request?.path).toBe('/sequences/146090.json');
    expect(request?.query.get('api_key')).toBe(KEY);
    expect(request?.url).not.toContain(KEY);
    expect(request?.headers['accept']).toBe('application/json');
    expect(request?.headers['content-type']).toBeUndefined();
  });

  it('sends create as POST with the documented body and JSON content type', async () => {
    stub.reply({ status: 201, body: docsBody });
    const created = await client().create({ serie: '2027', isDefault: false });
    expect(created.id).toBe(146090);
    await client().create({ serie: '2028', isDefault: true });
    const [first, second] = stub.requests;
    expect(first?.method).toBe('POST');
    expect(first?.path).toBe('/sequences.json');
    expect(first?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(first?.headers['accept']).toBe('application/json');
    expect(JSON.parse(first?.body ?? '')).toEqual({ sequence: { serie: '2027', default_sequence: '0' } });
    expect(JSON.parse(second?.body ?? '')).toEqual({ sequence: { serie: '2028', default_sequence: '1' } });
  });

  it('sends register and set_current as PUT with JSON content type, ignoring any 2xx body', async () => {
    const bodies = ['', ' ', 'OK', '{"sequences":[{"id":1}]}', '<html></html>', '{"sequence":{}}'];
    for (const body of bodies) {
      stub.reply({ status: 200, body });
      await expect(client().register(12345)).resolves.toBeUndefined();
      await expect(client().setCurrent(12345)).resolves.toBeUndefined();
      expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /sequences/12345/register.json', 'PUT /sequences/12345/set_current.json']);
      expect(stub.requests[0]?.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(stub.requests[0]?.query.get('api_key')).toBe(KEY);
    }
    stub.reply({ status: 204 });
    await expect(client().register(1)).resolves.toBeUndefined();
    stub.reply({ status: 201, body: 'created' });
    await expect(client().setCurrent(1)).resolves.toBeUndefined();
  });

  it('uses https://{account}.app.invoicexpress.com by default and validates options', () => {
    expect(() => createInvoiceXpressClient({ accountName: 'acme', apiKey: '' })).toThrow(/apiKey/);
    expect(() => createInvoiceXpressClient({ accountName: 'bad host/x', apiKey: 'k' })).toThrow(/accountName/);
    expect(() => createInvoiceXpressClient({ accountName: 'a', apiKey: 'k', baseUrl: 'http://x/?api_key=1' })).toThrow(/baseUrl/);
    expect(() => createInvoiceXpressClient({ accountName: 'a', apiKey: 'k', timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => createInvoiceXpressClient({ accountName: 'a', apiKey: 'k', retry: { limit: -1, baseDelayMs: 1, maxDelayMs: 1 } })).toThrow(/retry.limit/);
    expect(() => createInvoiceXpressClient({ accountName: 'acme-1', apiKey: 'k' })).not.toThrow();
  });

  it('refuses a non-positive id before any request', async () => {
    await expect(client().get(0)).rejects.toThrow(RangeError);
    await expect(client().register(-1)).rejects.toThrow(RangeError);
    await expect(client().setCurrent(1.5)).rejects.toThrow(RangeError);
    expect(stub.requests).toHaveLength(0);
  });
});

describe('status mapping', () => {
  it.each([
    [401, '{"errors":[{"error":"Access denied"}]}', 'unauthorized', ['Access denied']],
    [404, '', 'not_found', []],
    [404, ' ', 'not_found', []],
    [404, '<!DOCTYPE html><html><body>Not here</body></html>', 'not_found', []],
    [406, '{"errors":[{"error":"Sequence is not in a valid state"}]}', 'invalid_state', ['Sequence is not in a valid state']],
    [422, '{"errors":[{"error":"The sequence name is invalid"}]}', 'rejected', ['The sequence name is invalid']],
    [400, '{"error":"bad"}', 'upstream', ['bad']],
    [409, '', 'rejected', []],
    [501, '', 'upstream', []],
  ] as const)('GET answered %i %j → %s', async (status, body, kind, messages) => {
    stub.reply({ status, body });
    const error = await failure(client().get(123));
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.operation).toBe('get');
    expect(error.messages).toEqual(messages);
    expect(error.message).toMatch(new RegExp(`^InvoiceXpress get /sequences/123\\.json answered ${String(status)}`));
    expect(stub.requests).toHaveLength(1);
  });

  it.each([
    '{"errors":[{"error":"Serie has already been taken"}]}',
    '{"errors":["Sequence already exists"]}',
    '{"errors":{"code":"001","message":"A série já existe"}}',
  ])('create 422 %s → serie_exists', async (body) => {
    stub.reply({ status: 422, body });
    const error = await failure(client().create({ serie: '2027', isDefault: false }));
    expect(error.kind).toBe('serie_exists');
    expect(error.status).toBe(422);
    expect(error.messages.length).toBe(1);
  });

  it('other 422s on create, and "taken" 422s on register, stay rejected', async () => {
    stub.reply({ status: 422, body: '{"errors":[{"error":"Trial accounts cannot communicate with AT (code 004)"}]}' });
    const onCreate = await failure(client().create({ serie: '2027', isDefault: false }));
    expect(onCreate.kind).toBe('rejected');
    expect(onCreate.refusal).toBe('account');
    expect(onCreate.message).toBe('InvoiceXpress create /sequences.json answered 422: Trial accounts cannot communicate with AT (code 004)');
    stub.reply({ status: 422, body: '{"errors":[{"error":"Serie has already been taken"}]}' });
    expect((await failure(client().register(5))).kind).toBe('rejected');
  });

  it("carries the refusal table's reading and InvoiceXpress's codes", async () => {
    stub.reply({ status: 409, body: '{"errors":{"code":"007","message":"All Sequences are registered in AT."}}' });
    const registered = await failure(client().register(5));
    expect([registered.kind, registered.refusal, registered.codes]).toEqual(['rejected', 'already_registered', ['007']]);
    stub.reply({ status: 422, body: '{"errors":{"code":"001","message":"Sequence name not allowed."}}' });
    expect((await failure(client().register(5))).refusal).toBe('name_refused');
    stub.reply({ status: 422, body: '{"errors":[{"error":"Pedido em processamento"}]}' });
    expect((await failure(client().register(5))).refusal).toBe('in_progress');
  });

  it('does not follow redirects (they would carry the key elsewhere)', async () => {
    stub.reply({ status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } });
    const error = await failure(client().get(1));
    expect(error.kind).toBe('upstream');
    expect(error.status).toBe(302);
    expect(stub.requests).toHaveLength(1);
  });

  it('a 2xx get with a body that is not a sequence is malformed_response', async () => {
    for (const body of ['', 'OK', '{"sequences":{"serie":"2027"}}', '<html></html>']) {
      stub.reply({ status: 200, body });
      const error = await failure(client().get(1));
      expect(error.kind).toBe('malformed_response');
      expect(error.status).toBe(200);
      expect(error.message).toMatch(/^InvoiceXpress get \/sequences\/1\.json answered 200 but the body is not usable/);
      expect(stub.requests).toHaveLength(1);
    }
  });
});

const wireFixture = (name: string): string => readFileSync(new URL(`../fixtures/wire/${name}`, import.meta.url), 'utf8');

describe('answers a real account can send (shapes other client libraries recorded)', () => {
  it('a list with a document type that has its number but no sequence id is read, not refused', async () => {
    stub.reply({ status: 200, body: wireFixture('list-partial-document.json') });
    const sequences = await client().list();
    expect(sequences.map((s) => [s.id, s.serie, s.isDefault, s.registered])).toEqual([
      [201, 'A', true, false],
      [202, '2027', false, true],
    ]);
    expect(sequences[0]?.documents['invoice']).toEqual({ sequenceId: null, lastNumber: 70, validationCode: null, atcud: 'unknown' });
  });

  it('a create answered under "sequence", serie as a number, default_sequence 0 although 1 was sent, no validation codes', async () => {
    stub.reply({ status: 201, body: wireFixture('create-before-atcud.json') });
    const created = await client().create({ serie: '2017', isDefault: true });
    expect(created).toMatchObject({ id: 1424772, serie: '2017', isDefault: false, registered: false });
    expect(Object.keys(created.documents)).toEqual(['invoice', 'receipt', 'purchase_order']);
  });

  it('register answering a list, set_current answering nothing, a space, {} or []', async () => {
    stub.reply({ status: 200, body: JSON.stringify({ sequences: [docsRaw] }) });
    await expect(client().register(146090)).resolves.toBeUndefined();
    for (const body of ['', ' ', '{}', '[]']) {
      stub.reply({ status: 200, body });
      await expect(client().setCurrent(146090)).resolves.toBeUndefined();
    }
  });

  it.each([
    ['{"errors":[{"error":"Serie has already been taken"}]}', ['Serie has already been taken'], [], 'serie_taken'],
    ['[["name","não está disponível."]]', ['name não está disponível.'], [], 'unknown'],
    ['{"errors":{"code":"007","message":"All Sequences are registered in AT."}}', ['All Sequences are registered in AT.'], ['007'], 'already_registered'],
    ['{"code":"000","message":"Unknown error."}', ['Unknown error.'], ['000'], 'unknown'],
  ] as const)('register answered 422 %s → its messages, codes and reading', async (body, messages, codes, refusal) => {
    stub.reply({ status: 422, body });
    const error = await failure(client().register(5));
    expect([error.kind, error.messages, error.codes, error.refusal]).toEqual(['rejected', messages, codes, refusal]);
  });

  it('a 429 with no body, or with a text body and Retry-After: 120', async () => {
    stub.reply({ status: 429, headers: { 'content-type': 'text/plain' } });
    const bare = await failure(client().get(1));
    expect([bare.kind, bare.retryAfterSeconds, bare.messages]).toEqual(['rate_limited', undefined, []]);
    stub.reply({ status: 429, body: 'Too Many Requests', headers: { 'content-type': 'text/plain', 'retry-after': '120' } });
    const text = await failure(client().list());
    expect([text.kind, text.retryAfterSeconds, text.messages]).toEqual(['rate_limited', 120, []]);
    expect(text.message).toBe('InvoiceXpress list /sequences.json answered 429');
  });
});

describe('retries', () => {
  it('retries 408/500/502/503/504 on GET and set_current, then succeeds, reporting each attempt', async () => {
    for (const status of [408, 500, 502, 503, 504]) {
      const attempts: ClientAttempt[] = [];
      stub.reply({ status }, { status }, { status: 200, body: docsBody });
      const sequence = await client({}, attempts).get(146090);
      expect(sequence.serie).toBe('2022');
      expect(attempts.map((a) => [a.attempt, a.status, a.outcome])).toEqual([
        [1, status, 'retry'],
        [2, status, 'retry'],
        [3, 200, 'ok'],
      ]);
      expect(attempts.every((a) => a.path === '/sequences/146090.json' && a.method === 'GET')).toBe(true);
    }
    stub.reply({ status: 503 }, { status: 200, body: '' });
    await client().setCurrent(3);
    expect(stub.requests).toHaveLength(2);
  });

  it('gives up after limit+1 attempts with the last status', async () => {
    const attempts: ClientAttempt[] = [];
    stub.reply({ status: 503, body: '{"error":"maintenance"}' });
    const error = await failure(client({}, attempts).setCurrent(9));
    expect(error.kind).toBe('upstream');
    expect(error.status).toBe(503);
    expect(error.message).toBe(
      'InvoiceXpress set_current /sequences/9/set_current.json answered 503: maintenance after 3 attempts; it may have been applied: read the state before trying again',
    );
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'error']);
  });

  it('honours Retry-After of a 503 in seconds and as an HTTP date', async () => {
    stub.reply({ status: 503, headers: { 'retry-after': '1' } }, { status: 200, body: docsBody });
    let started = Date.now();
    await client({ retry: { limit: 2, baseDelayMs: 1, maxDelayMs: 1000 } }).get(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);

    const date = new Date(Date.now() + 1500).toUTCString(); // second resolution: waits ~0.5-1.5 s
    stub.reply({ status: 503, headers: { 'retry-after': date } }, { status: 200, body: docsBody });
    started = Date.now();
    await client({ retry: { limit: 2, baseDelayMs: 1, maxDelayMs: 2000 } }).get(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('answers a 429 at once by default (API callers retry after Retry-After)', async () => {
    stub.reply({ status: 429, headers: { 'retry-after': '7' } });
    const error = await failure(client().list());
    expect([error.kind, error.retryAfterSeconds]).toEqual(['rate_limited', 7]);
    expect(error.message).toBe('InvoiceXpress list /sequences.json answered 429');
    expect(stub.requests).toHaveLength(1);
  });

  it('with onRateLimit "wait", waits Retry-After while the deadline allows, for every operation (a 429 was not acted on)', async () => {
    const waiting = client().withPolicy({ deadline: Deadline.in(5_000), onRateLimit: 'wait' });
    stub.reply({ status: 429, headers: { 'retry-after': '0.3' } }, { status: 201, body: docsBody });
    const started = Date.now();
    await waiting.create({ serie: '2027', isDefault: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(stub.requests.map((r) => r.method)).toEqual(['POST', 'POST']);
    stub.requests.length = 0;
    stub.reply({ status: 429, headers: { 'retry-after': '0.1' } }, { status: 200, body: '' });
    await waiting.register(5);
    expect(stub.requests).toHaveLength(2);
  });

  it('does not wait past the deadline: a Retry-After (or the next minute) that does not fit answers rate_limited at once', async () => {
    const waiting = client().withPolicy({ deadline: Deadline.in(2_000), onRateLimit: 'wait' });
    stub.reply({ status: 429, headers: { 'retry-after': '30' } });
    const started = Date.now();
    expect((await failure(waiting.get(1))).retryAfterSeconds).toBe(30);
    stub.reply({ status: 429 });
    // Without Retry-After the wait is until the next minute: more than 2 s except in the last 2 s of a minute.
    if (untilNextMinute() > 2_500) expect((await failure(waiting.get(1))).kind).toBe('rate_limited');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('untilNextMinute waits just past the next minute boundary', () => {
    expect(untilNextMinute(Date.parse('2027-01-01T00:00:59.500Z'))).toBe(750);
    expect(untilNextMinute(Date.parse('2027-01-01T00:00:00.000Z'))).toBe(60_250);
  });

  it('never re-sends create or register: not on 5xx, 429, timeout or a lost connection', async () => {
    const sends = [(c: ReturnType<typeof client>) => c.create({ serie: '2027', isDefault: false }), (c: ReturnType<typeof client>) => c.register(5)];
    for (const send of sends) {
      for (const reply of [{ status: 500 }, { status: 503 }, { status: 429 }, 'hang', 'destroy'] as const) {
        const attempts: ClientAttempt[] = [];
        stub.requests.length = 0;
        stub.reply(reply);
        const error = await failure(send(client({ timeoutMs: 100 }, attempts)));
        expect(stub.requests).toHaveLength(1);
        expect(attempts).toHaveLength(1);
        expect(attempts[0]?.outcome).toBe('error');
        if (typeof reply === 'string' || reply.status !== 429) {
          expect(error.message).toContain('it may have been applied: read the state before trying again');
        }
      }
    }
  });

  it('bounds a call by totalTimeoutMs whatever the retry limit', async () => {
    stub.reply('hang');
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 60, totalTimeoutMs: 200, retry: { limit: 10, baseDelayMs: 5, maxDelayMs: 10 } }).get(1));
    const elapsed = Date.now() - started;
    expect(error.kind).toBe('timeout');
    expect(elapsed).toBeLessThan(600);
    expect(stub.requests.length).toBeGreaterThanOrEqual(2);
    expect(stub.requests.length).toBeLessThanOrEqual(4);
  });

  it("ends every attempt, wait and page by the caller's deadline", async () => {
    stub.reply('hang');
    const started = Date.now();
    const error = await failure(
      client({ timeoutMs: 5_000 })
        .withPolicy({ deadline: Deadline.in(300) })
        .get(1),
    );
    expect(Date.now() - started).toBeLessThan(700);
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('did not answer before the deadline');
    stub.requests.length = 0;
    const late = await failure(
      client()
        .withPolicy({ deadline: Deadline.in(50) })
        .get(1),
    );
    expect(late.kind).toBe('timeout');
    expect(stub.requests).toHaveLength(0);
  });

  it('an observer that throws does not change the outcome', async () => {
    const sequence = await client({
      onAttempt: () => {
        throw new Error('observer bug');
      },
    }).get(1);
    expect(sequence.id).toBe(146090);
  });
});

describe('list pagination', () => {
  it('reads every page with the page size the first answer reported', async () => {
    const raw = (id: number) => ({ ...docsRaw, id, serie: String(2000 + id), default_sequence: id === 1 ? 1 : 0 });
    stub.reply((request) => {
      const page = Number(request.query.get('page') ?? '1');
      const perPage = Number(request.query.get('per_page') ?? '2');
      const all = [1, 2, 3, 4, 5].map(raw);
      const items = all.slice((page - 1) * perPage, page * perPage);
      return {
        status: 200,
        body: JSON.stringify({
          sequences: items,
          pagination: { total_entries: 5, current_page: page, total_pages: Math.ceil(5 / perPage), per_page: perPage },
        }),
      };
    });
    const sequences = await client().list();
    expect(sequences.map((s) => s.id)).toEqual([1, 2, 3, 4, 5]);
    expect(stub.requests.map((r) => r.query.get('page'))).toEqual([null, '2', '3']);
    expect(stub.requests.slice(1).every((r) => r.query.get('per_page') === '2')).toBe(true);
    expect(stub.requests.every((r) => r.query.get('api_key') === KEY)).toBe(true);
  });

  it('refuses an absurd page count rather than returning part of the list', async () => {
    stub.reply({ status: 200, body: JSON.stringify({ sequences: [docsRaw], pagination: { total_pages: 100000 } }) });
    const error = await failure(client().list());
    expect(error.kind).toBe('malformed_response');
    expect(stub.requests).toHaveLength(1);
  });
});

describe('helpers', () => {
  it('parseRetryAfter reads seconds and HTTP dates', () => {
    const now = Date.parse('2027-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Fri, 01 Jan 2027 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Thu, 31 Dec 2026 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
