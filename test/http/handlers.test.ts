import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonBody, startApiHarness } from '../support/api-harness.ts';
import type { ApiAnswer, ApiHarness } from '../support/api-harness.ts';

/** The five sequence handlers with real-shaped API Gateway events, against the sandbox. */

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api?.close();
});
beforeEach(() => {
  api.sandbox.reset();
});

const SEEDED_ID = '146090';

function expectError(answer: ApiAnswer, status: number, code: string): Record<string, unknown> {
  expect(answer.status).toBe(status);
  const error = answer.json['error'] as Record<string, unknown>;
  expect(error).toMatchObject({ code, requestId: answer.headers['x-request-id'] });
  expect(typeof error['message']).toBe('string');
  expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  return error;
}

function sequenceOf(answer: ApiAnswer): Record<string, unknown> {
  return answer.json['sequence'] as Record<string, unknown>;
}

function calls(operation: string): number {
  return api.sandbox.requests.filter((request) => request.operation === operation).length;
}

async function createPending(serie: string): Promise<string> {
  api.sandbox.setAt({ onCreate: 'pending' });
  const created = await api.invoke('createSequence', jsonBody({ serie }));
  expect(created.status).toBe(201);
  return String(sequenceOf(created)['id']);
}

describe('GET /sequences and /sequences/{id}', () => {
  it('lists the seeded sequences and echoes the API Gateway request id', async () => {
    const answer = await api.invoke('listSequences', { requestId: 'req-list-1' });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-request-id']).toBe('req-list-1');
    const sequences = answer.json['sequences'] as Record<string, unknown>[];
    expect(sequences.map((s) => s['serie'])).toEqual(['2022']);
    expect(sequences[0]).toMatchObject({ id: 146090, isDefault: true, registered: true });
  });

  it('gets one sequence; a trailing-slash path and odd headers change nothing', async () => {
    const answer = await api.invoke('getSequence', {
      path: `/sequences/${SEEDED_ID}/`,
      pathParameters: { id: SEEDED_ID },
      headers: { ACCEPT: '*/*', 'X-Forwarded-For': '10.0.0.1, 10.0.0.2' },
    });
    expect(answer.status).toBe(200);
    expect(sequenceOf(answer)).toMatchObject({ id: 146090, serie: '2022' });
    expect((sequenceOf(answer)['documents'] as Record<string, unknown>)['fees_note']).toEqual({
      sequenceId: 146103,
      lastNumber: 0,
      validationCode: null,
      atcud: 'not_applicable',
    });
  });

  it.each(['abc', '0', '-1', '1.5', '01', '9999999999999999', ' 1'])('id %j → 400 on path.id', async (id) => {
    const error = expectError(await api.invoke('getSequence', { pathParameters: { id } }), 400, 'invalid_request');
    expect(error['details']).toEqual([{ path: 'path.id', message: expect.any(String) as string }]);
    expect(calls('get')).toBe(0);
  });

  // API Gateway REST APIs pass path parameters still percent-encoded: the handler decodes them.
  it.each([
    ['getSequence', '/sequences/%E0%A4%A', { id: '%E0%A4%A' }, 'path.id'],
    ['getSequence', '/sequences/%', { id: '%' }, 'path.id'],
    ['registerSequence', '/sequences/%zz/register', { id: '%zz' }, 'path.id'],
    ['rolloverRunRecord', '/rollover/runs/%E0%A4%A', { runId: '%E0%A4%A' }, 'path.runId'],
  ] as const)('%s %s (a malformed escape) → 400 on %j, logged', async (name, path, pathParameters, detailPath) => {
    const answer = await api.invoke(name, { path, pathParameters, requestId: `req-escape-${detailPath}-${path.length}` });
    const error = expectError(answer, 400, 'invalid_request');
    expect(error['details']).toEqual([{ path: detailPath, message: 'malformed percent-escape' }]);
    const line = api.logs.find((chunk) => chunk.includes(`"requestId":"req-escape-${detailPath}-${path.length}"`));
    expect(line).toContain('"status":400');
    expect(api.sandbox.requests).toEqual([]);
  });

  it('an escaped id is decoded once: %31%34%36%30%39%30 is 146090', async () => {
    const answer = await api.invoke('getSequence', { path: '/sequences/%31%34%36%30%39%30', pathParameters: { id: '%31%34%36%30%39%30' } });
    expect(answer.status).toBe(200);
    expect(sequenceOf(answer)).toMatchObject({ id: 146090 });
  });

  it('no path parameters at all → 400, and no headers/requestContext at all still answers', async () => {
    expectError(await api.invoke('getSequence', { pathParameters: null }), 400, 'invalid_request');
    const bare = await api.invoke('listSequences', { headers: {} });
    expect(bare.status).toBe(200);
    expect(bare.headers['x-request-id']).toMatch(/.+/);
  });

  it('unknown id → 404 not_found', async () => {
    expectError(await api.invoke('getSequence', { pathParameters: { id: '424242' } }), 404, 'not_found');
  });
});

describe('POST /sequences', () => {
  it('creates (201) without changing the default unless asked', async () => {
    const created = await api.invoke('createSequence', jsonBody({ serie: '2027' }));
    expect(created.status).toBe(201);
    expect(sequenceOf(created)).toMatchObject({ serie: '2027', isDefault: false, registered: true });
    const asDefault = await api.invoke('createSequence', jsonBody({ serie: '2028', default: true }));
    expect(sequenceOf(asDefault)).toMatchObject({ serie: '2028', isDefault: true });
    expect(
      api.sandbox
        .sequences()
        .filter((s) => s.default_sequence === 1)
        .map((s) => s.serie),
    ).toEqual(['2028']);
  });

  it('default: true creates with default_sequence 0, and switches only once AT registered it', async () => {
    const asDefault = await api.invoke('createSequence', jsonBody({ serie: '2037', default: true }));
    expect(asDefault.status).toBe(201);
    expect(sequenceOf(asDefault)).toMatchObject({ serie: '2037', isDefault: true, registered: true });
    expect(calls('set_current')).toBe(1);
  });

  it('default: true while AT leaves the serie pending: 409 invalid_state, created but never the default', async () => {
    api.sandbox.setAt({ onCreate: 'pending', onRegister: 'reject', rejectMessage: 'Sequence name not allowed.' });
    const error = expectError(await api.invoke('createSequence', jsonBody({ serie: '2038', default: true })), 409, 'invalid_state');
    expect(error['message']).toMatch(/'2038' is not registered with AT; it was created \(id \d+\) but not made the default/);
    expect(error['details']).toEqual([{ path: '', message: 'Sequence name not allowed.' }]);
    expect(calls('set_current')).toBe(0);
    expect(api.sandbox.sequences().find((s) => s.default_sequence === 1)?.serie).toBe('2022');
    expect(api.sandbox.sequences().filter((s) => s.serie === '2038')).toHaveLength(1);
  });

  it('accepts a base64-encoded body and a charset parameter', async () => {
    const answer = await api.invoke('createSequence', {
      body: Buffer.from(JSON.stringify({ serie: '2029' })).toString('base64'),
      isBase64Encoded: true,
      headers: { 'content-type': 'application/json; charset=UTF-8' },
    });
    expect(answer.status).toBe(201);
  });

  it('a duplicate serie → 409 serie_exists', async () => {
    expectError(await api.invoke('createSequence', jsonBody({ serie: '2022' })), 409, 'serie_exists');
  });

  it('lists every problem with its path', async () => {
    const error = expectError(await api.invoke('createSequence', jsonBody({ serie: 'AT 2027', default: 'yes', extra: 1 })), 400, 'invalid_request');
    const details = error['details'] as { path: string; message: string }[];
    expect(details.map((d) => d.path).sort()).toEqual(['body', 'body.default', 'body.serie', 'body.serie'].sort());
    expect(details.find((d) => d.path === 'body')?.message).toContain('extra');
    expect(calls('create')).toBe(0);
  });

  it.each([
    ['malformed JSON', 400, 'invalid_request', { body: '{"serie":', headers: { 'content-type': 'application/json' } }],
    ['no body', 400, 'invalid_request', { body: null, headers: { 'content-type': 'application/json' } }],
    ['a JSON array', 400, 'invalid_request', { body: '[]', headers: { 'content-type': 'application/json' } }],
    ['text/plain', 415, 'unsupported_media_type', { body: 'serie=2027', headers: { 'content-type': 'text/plain' } }],
    ['no content type', 415, 'unsupported_media_type', { body: '{"serie":"2027"}', headers: {} }],
  ] as const)('%s → %i %s', async (_name, status, code, request) => {
    expectError(await api.invoke('createSequence', request), status, code);
    expect(calls('create')).toBe(0);
  });

  it('a create whose answer is lost is resolved by reading the state: 201, one POST', async () => {
    api.sandbox.addFault({ fault: { kind: 'drop_response' }, operations: ['create'], times: 1 });
    const answer = await api.invoke('createSequence', jsonBody({ serie: '2030' }));
    expect(answer.status).toBe(201);
    expect(sequenceOf(answer)).toMatchObject({ serie: '2030' });
    expect(calls('create')).toBe(1);
    expect(api.sandbox.sequences().filter((s) => s.serie === '2030')).toHaveLength(1);
  });

  it('a create that never happened (hang) is not resent: 504, zero series', async () => {
    api.sandbox.addFault({ fault: { kind: 'hang' }, operations: ['create'], times: 1 });
    expectError(await api.invoke('createSequence', jsonBody({ serie: '2031' })), 504, 'upstream_timeout');
    expect(calls('create')).toBe(1);
    expect(api.sandbox.sequences().some((s) => s.serie === '2031')).toBe(false);
  });
});

describe('PUT /sequences/{id}/register', () => {
  it('registers and answers the sequence with its validation codes', async () => {
    const id = await createPending('2032');
    const answer = await api.invoke('registerSequence', { pathParameters: { id } });
    expect(answer.status).toBe(200);
    const sequence = sequenceOf(answer);
    expect(sequence['registered']).toBe(true);
    const invoice = (sequence['documents'] as Record<string, Record<string, unknown>>)['invoice'];
    expect(invoice).toMatchObject({ atcud: 'registered', validationCode: expect.stringMatching(/^[A-Z0-9]{8}$/) as string });
  });

  it('is safe to repeat: a registered sequence answers 200 without a register call', async () => {
    const answer = await api.invoke('registerSequence', { pathParameters: { id: SEEDED_ID } });
    expect(answer.status).toBe(200);
    expect(sequenceOf(answer)['registered']).toBe(true);
    expect(calls('register')).toBe(0);
  });

  it("AT refusing → 422 rejected with AT's message", async () => {
    const id = await createPending('2033');
    api.sandbox.setAt({ onRegister: 'reject', rejectMessage: 'Série 2033 recusada pela AT' });
    const error = expectError(await api.invoke('registerSequence', { pathParameters: { id } }), 422, 'rejected');
    expect(error['details']).toEqual([{ path: '', message: 'Série 2033 recusada pela AT' }]);
  });

  it("an unknown refusal is passed on as 422 with AT's words; register is sent once", async () => {
    const id = await createPending('2039');
    api.sandbox.addFault({ fault: { kind: 'status', status: 422, body: '{"errors":[{"error":"Pedido em processamento"}]}' }, operations: ['register'] });
    const error = expectError(await api.invoke('registerSequence', { pathParameters: { id } }), 422, 'rejected');
    expect(error['details']).toEqual([{ path: '', message: 'Pedido em processamento' }]);
    expect(calls('register')).toBe(1);
  });

  it('a register whose answer is lost is not re-sent: the state read shows it registered (200)', async () => {
    const id = await createPending('2040');
    api.sandbox.addFault({ fault: { kind: 'drop_response' }, operations: ['register'], times: 1 });
    const answer = await api.invoke('registerSequence', { pathParameters: { id } });
    expect(answer.status).toBe(200);
    expect(sequenceOf(answer)['registered']).toBe(true);
    expect(calls('register')).toBe(1);
  });

  it('takes no body beyond {} and 404s an unknown id', async () => {
    expect((await api.invoke('registerSequence', { pathParameters: { id: SEEDED_ID }, ...jsonBody({}) })).status).toBe(200);
    const error = expectError(
      await api.invoke('registerSequence', { pathParameters: { id: SEEDED_ID }, ...jsonBody({ force: true }) }),
      400,
      'invalid_request',
    );
    expect(JSON.stringify(error['details'])).toContain('force');
    expectError(await api.invoke('registerSequence', { pathParameters: { id: '777' } }), 404, 'not_found');
  });
});

describe('PUT /sequences/{id}/set_current', () => {
  it('moves the default and answers the sequence after the switch', async () => {
    const created = await api.invoke('createSequence', jsonBody({ serie: '2034' }));
    const id = String(sequenceOf(created)['id']);
    const answer = await api.invoke('setCurrentSequence', { pathParameters: { id } });
    expect(answer.status).toBe(200);
    expect(sequenceOf(answer)).toMatchObject({ serie: '2034', isDefault: true });
    const listed = (await api.invoke('listSequences')).json['sequences'] as Record<string, unknown>[];
    expect(listed.filter((s) => s['isDefault']).map((s) => s['serie'])).toEqual(['2034']);
  });

  it('is safe to repeat: the default answers 200 without a set_current call', async () => {
    const answer = await api.invoke('setCurrentSequence', { pathParameters: { id: SEEDED_ID } });
    expect(sequenceOf(answer)['isDefault']).toBe(true);
    expect(calls('set_current')).toBe(0);
  });

  it('refuses a sequence AT does not know yet: 409 invalid_state, default unchanged', async () => {
    const id = await createPending('2035');
    expectError(await api.invoke('setCurrentSequence', { pathParameters: { id } }), 409, 'invalid_state');
    expect(calls('set_current')).toBe(0);
    expect(api.sandbox.sequences().find((s) => s.default_sequence === 1)?.serie).toBe('2022');
  });
});

describe('the error table, upstream rows', () => {
  it('429 → 429 rate_limited at once, with Retry-After from InvoiceXpress', async () => {
    api.sandbox.addFault({ fault: { kind: 'status', status: 429, retryAfterSeconds: 40 } });
    const answer = await api.invoke('listSequences');
    expectError(answer, 429, 'rate_limited');
    expect(answer.headers['retry-after']).toBe('40');
    expect(calls('list')).toBe(1);
  });

  it('429 without Retry-After → Retry-After 60 (the per-minute window)', async () => {
    api.sandbox.addFault({ fault: { kind: 'status', status: 429 } });
    const answer = await api.invoke('listSequences');
    expectError(answer, 429, 'rate_limited');
    expect(answer.headers['retry-after']).toBe('60');
  });

  it('a transient 503 is retried and the caller sees 200', async () => {
    api.sandbox.addFault({ fault: { kind: 'status', status: 503 }, operations: ['list'], times: 1 });
    expect((await api.invoke('listSequences')).status).toBe(200);
    expect(calls('list')).toBe(2);
  });

  it.each([
    ['5xx', { kind: 'status', status: 500 }],
    ['a malformed answer', { kind: 'malformed', body: '{"sequences":"nope"}' }],
  ] as const)('%s → 502 upstream_error', async (_name, fault) => {
    api.sandbox.addFault({ fault });
    const answer = await api.invoke('listSequences');
    expectError(answer, 502, 'upstream_error');
    expect(answer.text).not.toContain('nope');
  });

  it('a hang → 504 upstream_timeout', async () => {
    api.sandbox.addFault({ fault: { kind: 'hang' } });
    expectError(await api.invoke('getSequence', { pathParameters: { id: SEEDED_ID } }), 504, 'upstream_timeout');
  });

  it('406 from InvoiceXpress → 409 invalid_state', async () => {
    const created = await api.invoke('createSequence', jsonBody({ serie: '2036' }));
    api.sandbox.addFault({ fault: { kind: 'status', status: 406 }, operations: ['set_current'] });
    const id = String(sequenceOf(created)['id']);
    expectError(await api.invoke('setCurrentSequence', { pathParameters: { id } }), 409, 'invalid_state');
  });
});

describe('logs', () => {
  it('one JSON line per request with route, status, duration and request id; never the key', async () => {
    const before = api.logs.length;
    await api.invoke('getSequence', { pathParameters: { id: SEEDED_ID }, requestId: 'req-log-1' });
    api.sandbox.addFault({ fault: { kind: 'status', status: 500 } });
    await api.invoke('listSequences', { requestId: 'req-log-2' });
    const lines = api.logs.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ message: 'request', route: 'getSequence', status: 200, requestId: 'req-log-1' });
    expect(typeof lines[0]?.['durationMs']).toBe('number');
    // Powertools' Lambda context on every API line, as on the scheduled function's.
    expect(lines[0]).toMatchObject({ function_name: 'get-sequence' });
    expect([typeof lines[0]?.['cold_start'], typeof lines[0]?.['function_request_id']]).toEqual(['boolean', 'string']);
    expect(lines[1]).toMatchObject({ function_name: 'list-sequences' });
    expect(lines[1]).toMatchObject({ level: 'ERROR', status: 502, upstream: { kind: 'upstream', status: 500 } });
    expect(api.logs.join('')).not.toContain(api.sandbox.apiKey);
  });
});
