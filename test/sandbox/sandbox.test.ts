import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox } from '../../sandbox/types.ts';
import { parseSequenceBody } from '../../shared/invoicexpress/wire.ts';

/** The sandbox's own behaviour, over raw HTTP (no client in between). */

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: 'k-sandbox-own-tests' });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
});

function url(path: string, query: Record<string, string> = {}, key: string | null = sandbox.apiKey): string {
  const search = new URLSearchParams(query);
  if (key !== null) search.set('api_key', key);
  return `${sandbox.url}${path}?${search.toString()}`;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  query?: Record<string, string>,
): Promise<{ status: number; text: string; json: () => unknown; headers: Headers }> {
  const response = await fetch(url(path, query), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as unknown, headers: response.headers };
}

const create = (serie: string, defaultSequence: string | number = '0') =>
  call('POST', '/sequences.json', { sequence: { serie, default_sequence: defaultSequence } });

function record(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  return value as Record<string, unknown>;
}

describe('seed', () => {
  it("is the docs' example sequence, field for field", async () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/docs-sequence.json', import.meta.url), 'utf8')) as unknown;
    const answer = await call('GET', '/sequences/146090.json');
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual(fixture);
    expect(sandbox.sequences()).toHaveLength(1);
  });

  it("the docs' sample JSON parses into the contract's Sequence", () => {
    const fixture = readFileSync(new URL('../fixtures/docs-sequence.json', import.meta.url), 'utf8');
    const sequence = parseSequenceBody(JSON.parse(fixture), { operation: 'get', path: '/sequences/146090.json', status: 200 });
    expect(sequence).toMatchObject({ id: 146090, serie: '2022', isDefault: true, registered: true });
    expect(Object.keys(sequence.documents)).toHaveLength(15);
  });

  it('can start empty', async () => {
    const empty = await startSandbox({ seed: false });
    try {
      expect(empty.sequences()).toEqual([]);
    } finally {
      await empty.close();
    }
  });
});

describe('auth and routes', () => {
  it('answers 401 without the key or with a wrong one', async () => {
    for (const key of [null, 'wrong']) {
      const response = await fetch(url('/sequences.json', {}, key));
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ errors: [{ error: 'Access denied' }] });
    }
  });

  it('answers an unknown route with an HTML 404 and an unknown id with a blank 404', async () => {
    const route = await call('GET', '/nothing.json');
    expect(route.status).toBe(404);
    expect(route.headers.get('content-type')).toContain('text/html');
    const missing = await call('GET', '/sequences/1.json');
    expect(missing).toMatchObject({ status: 404, text: ' ' });
    expect((await call('PUT', '/sequences/1/register.json')).status).toBe(404);
    expect((await call('DELETE', '/sequences/146090.json')).status).toBe(404);
  });
});

describe('create, register, set_current', () => {
  it('creates pending at AT (N/D), registers (codes), then moves the default', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    const created = await create('2027');
    expect(created.status).toBe(201);
    const sequence = record(record(created.json())['sequences']);
    expect(sequence).toMatchObject({ serie: '2027', default_sequence: 0 });
    expect(sequence['current_invoice_validation_code']).toBe('N/D');
    expect(sequence['current_fees_note_validation_code']).toBe('N/A');
    expect(sequence['current_invoice_sequence_id']).toBe(sequence['id']);
    const id = String(sequence['id']);

    const registered = await call('PUT', `/sequences/${id}/register.json`);
    expect(registered.status).toBe(200);
    const listed = record(registered.json())['sequences'];
    expect(Array.isArray(listed)).toBe(true);
    const after = record((listed as unknown[])[0]);
    expect(after['current_invoice_validation_code']).toMatch(/^[A-Z0-9]{8}$/);
    expect(after['current_vat_moss_receipt_validation_code']).toBe('N/A');
    expect(Object.values(after)).not.toContain('N/D');

    const again = await call('PUT', `/sequences/${id}/register.json`);
    expect(again.status).toBe(422);
    expect(again.json()).toEqual({ errors: { code: '007', message: 'All Sequences are registered in AT.' } });

    const current = await call('PUT', `/sequences/${id}/set_current.json`);
    expect(current).toMatchObject({ status: 200, text: '' });
    expect(sandbox.sequences().map((s) => [s.serie, s.default_sequence])).toEqual([
      ['2022', 0],
      ['2027', 1],
    ]);
  });

  it('creates registered at once by default, and as default when asked', async () => {
    const created = record(record((await create('2028', '1')).json())['sequences']);
    expect(created['default_sequence']).toBe(1);
    expect(Object.values(created)).not.toContain('N/D');
    expect(
      sandbox
        .sequences()
        .filter((s) => s.default_sequence === 1)
        .map((s) => s.serie),
    ).toEqual(['2028']);
  });

  it('AT refusing: create leaves N/D and register answers 422 with the message', async () => {
    sandbox.setAt({ onRegister: 'reject', rejectMessage: 'Série recusada pela AT' });
    const created = record(record((await create('2029')).json())['sequences']);
    expect(created['current_invoice_validation_code']).toBe('N/D');
    const refused = await call('PUT', `/sequences/${String(created['id'])}/register.json`);
    expect(refused.status).toBe(422);
    expect(refused.json()).toEqual({ errors: [{ error: 'Série recusada pela AT' }] });
  });

  it.each([
    ['a duplicate', '2022', 'Serie has already been taken'],
    ['an empty name', '', 'The sequence name is invalid'],
    ['a space', '20 27', 'The sequence name is invalid'],
    ['an AT prefix', 'AT2027', 'The sequence name is invalid'],
    ['36 characters', 'X'.repeat(36), 'The sequence name is invalid'],
  ])('answers 422 on %s', async (_name, serie, message) => {
    const answer = await create(serie);
    expect(answer.status).toBe(422);
    expect(answer.json()).toEqual({ errors: [{ error: message }] });
    expect(sandbox.sequences()).toHaveLength(1);
  });

  it('answers 422 on a body that is not a sequence', async () => {
    expect((await call('POST', '/sequences.json', { serie: '2027' })).status).toBe(422);
  });
});

describe('variants', () => {
  it('paginates with ?page=&per_page= and a pagination object', async () => {
    for (const serie of ['B1', 'B2', 'B3', 'B4']) await create(serie);
    sandbox.setVariants({ pageSize: 2 });
    const page3 = record((await call('GET', '/sequences.json', undefined, { page: '3' })).json());
    expect(page3['pagination']).toEqual({ total_entries: 5, current_page: 3, total_pages: 3, per_page: 2 });
    expect((page3['sequences'] as unknown[]).map((s) => record(s)['serie'])).toEqual(['B4']);
  });

  it('answers with "sequence" and stringly numbers when asked', async () => {
    sandbox.setVariants({ singleKey: 'sequence', stringly: true });
    const body = record((await call('GET', '/sequences/146090.json')).json());
    expect(record(body['sequence'])).toMatchObject({ id: '146090', default_sequence: '1' });
  });
});

describe('faults', () => {
  it('status faults apply to the chosen operations the chosen number of times, with Retry-After', async () => {
    sandbox.addFault({ fault: { kind: 'status', status: 429, retryAfterSeconds: 7 }, operations: ['get'], times: 2 });
    expect((await call('GET', '/sequences.json')).status).toBe(200);
    const limited = await call('GET', '/sequences/146090.json');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await call('GET', '/sequences/146090.json')).status).toBe(429);
    expect((await call('GET', '/sequences/146090.json')).status).toBe(200);
    expect(sandbox.requests.map((r) => r.status)).toEqual([200, 429, 429, 200]);
  });

  it('a status fault does not act', async () => {
    sandbox.addFault({ fault: { kind: 'status', status: 503 }, operations: ['create'], times: 1 });
    expect((await create('2030')).status).toBe(503);
    expect(sandbox.sequences()).toHaveLength(1);
  });

  it('drop_response acts, then closes the connection without an answer', async () => {
    sandbox.addFault({ fault: { kind: 'drop_response' }, operations: ['create'], times: 1 });
    await expect(create('2031')).rejects.toThrow();
    expect(sandbox.sequences().map((s) => s.serie)).toContain('2031');
    expect(sandbox.requests.at(-1)?.status).toBe('dropped');
  });

  it('hang never answers (the client gives up) and latency delays', async () => {
    sandbox.addFault({ fault: { kind: 'hang' }, times: 1 });
    await expect(fetch(url('/sequences.json'), { signal: AbortSignal.timeout(150) })).rejects.toThrow();
    expect(sandbox.requests.at(-1)?.status).toBe('hang');

    sandbox.addFault({ fault: { kind: 'latency', ms: 200 }, times: 1 });
    const started = Date.now();
    expect((await call('GET', '/sequences.json')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('malformed answers 200 with the given body', async () => {
    sandbox.addFault({ fault: { kind: 'malformed', body: '{"nope":1}' }, times: 1 });
    expect(await call('GET', '/sequences.json')).toMatchObject({ status: 200, text: '{"nope":1}' });
  });

  it('enforces a rate limit per minute with 429', async () => {
    sandbox.setRateLimit(2);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('GET', '/sequences.json')).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
  });

  it('reset restores the seed and clears faults, limits and the request log', async () => {
    await create('2032');
    sandbox.addFault({ fault: { kind: 'status', status: 500 } });
    sandbox.setRateLimit(1);
    sandbox.reset();
    expect(sandbox.requests).toHaveLength(0);
    expect(sandbox.sequences().map((s) => s.serie)).toEqual(['2022']);
    expect((await call('GET', '/sequences.json')).status).toBe(200);
    expect((await call('GET', '/sequences.json')).status).toBe(200);
  });
});
