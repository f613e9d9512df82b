import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.ts';
import type { RawSequence, Sandbox } from '../../sandbox/types.ts';
import { rawRequest } from '../support/raw-http.ts';
import type { RawAnswer } from '../support/raw-http.ts';

/** The sandbox's control endpoint over real HTTP, and what each setting does to InvoiceXpress's paths. */

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: 'k-sandbox-control-tests' });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
});

/** The control endpoint: no key. */
const control = (method: string, path: string, body?: unknown): Promise<RawAnswer> => rawRequest(method, `${sandbox.controlUrl}${path}`, body);

/** InvoiceXpress's paths, with the key. */
const ix = (method: string, path: string, body?: unknown): Promise<RawAnswer> => rawRequest(method, `${sandbox.url}${path}?api_key=${sandbox.apiKey}`, body);

const create = async (serie: string, isDefault = '0'): Promise<RawAnswer> =>
  ix('POST', '/sequences.json', { sequence: { serie, default_sequence: isDefault } });

/** The sequence inside a get/create answer (docs' key "sequences"). */
const sequenceOf = (answer: RawAnswer): RawSequence => answer.json['sequences'] as RawSequence;

const invoiceCode = (sequence: RawSequence | undefined): unknown => sequence?.['current_invoice_validation_code'];

async function readSequence(id: number): Promise<RawSequence> {
  return sequenceOf(await ix('GET', `/sequences/${String(id)}.json`));
}

async function stateOf(): Promise<{ sequences: RawSequence[]; at: Record<string, unknown>; faults: unknown[] }> {
  return (await control('GET', '/state')).json as never;
}

describe('the control endpoint itself', () => {
  it('lists its routes, needs no key and stays out of the request log', async () => {
    const index = await control('GET', '');
    expect(index.status).toBe(200);
    const routes = (index.json['routes'] as { route: string }[]).map((entry) => entry.route);
    expect(routes).toEqual(expect.arrayContaining(['PATCH /_sandbox/at', 'PUT /_sandbox/sequences', 'POST /_sandbox/faults']));
    expect((await control('GET', '/state')).status).toBe(200);
    expect(sandbox.requests).toHaveLength(0);
  });

  it('answers an unknown route 404 and a wrong method 405 with Allow', async () => {
    const unknown = await control('GET', '/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.json['error']).toBe('no control route GET /_sandbox/nothing');
    const wrongMethod = await control('POST', '/at', {});
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('PATCH');
  });

  it('is not subject to the rate limit, faults or latency it sets', async () => {
    await control('PUT', '/rate-limit', { perMinute: 1 });
    await control('POST', '/faults', { fault: { kind: 'status', status: 503 } });
    for (let i = 0; i < 3; i++) expect((await control('GET', '/state')).status).toBe(200);
  });
});

describe('AT behaviour (PATCH /_sandbox/at)', () => {
  it('answers the whole behaviour, changing only the fields given', async () => {
    const first = await control('PATCH', '/at', { onCreate: 'pending' });
    expect(first.json['at']).toMatchObject({ onCreate: 'pending', onRegister: 'ok', alreadyRegisteredStatus: 422 });
    const second = await control('PATCH', '/at', { onRegister: 'pending' });
    expect(second.json['at']).toMatchObject({ onCreate: 'pending', onRegister: 'pending' });
    expect(sandbox.state().at).toEqual(second.json['at']);
  });

  it('create registers at once by default, or leaves the serie pending (N/D)', async () => {
    expect(invoiceCode(sequenceOf(await create('2027')))).toMatch(/^SBX/);
    await control('PATCH', '/at', { onCreate: 'pending' });
    const pending = sequenceOf(await create('2028'));
    expect(invoiceCode(pending)).toBe('N/D');
    expect(pending['current_fees_note_validation_code']).toBe('N/A');
  });

  it('register succeeds: codes for every N/D type', async () => {
    await control('PATCH', '/at', { onCreate: 'pending' });
    const { id } = sequenceOf(await create('2027'));
    expect((await ix('PUT', `/sequences/${String(id)}/register.json`)).status).toBe(200);
    expect(Object.values(await readSequence(id))).not.toContain('N/D');
  });

  it('register answers OK but leaves the serie pending', async () => {
    await control('PATCH', '/at', { onCreate: 'pending', onRegister: 'pending' });
    const { id } = sequenceOf(await create('2027'));
    expect((await ix('PUT', `/sequences/${String(id)}/register.json`)).status).toBe(200);
    expect(invoiceCode(await readSequence(id))).toBe('N/D');
  });

  it('a refusal with the recorded list shape (the default), and the serie stays pending', async () => {
    await control('PATCH', '/at', { onCreate: 'pending', onRegister: 'reject', rejectMessage: 'Série recusada pela AT' });
    const { id } = sequenceOf(await create('2027'));
    const refused = await ix('PUT', `/sequences/${String(id)}/register.json`);
    expect(refused.status).toBe(422);
    expect(refused.json).toEqual({ errors: [{ error: 'Série recusada pela AT' }] });
    expect(invoiceCode(await readSequence(id))).toBe('N/D');
  });

  it('a refusal of a named serie only, in the code shape, with its status: "2027" refused, "2027B" accepted', async () => {
    await control('PATCH', '/at', {
      onRegister: 'reject',
      rejectSeries: ['2027'],
      rejectShape: 'code',
      rejectCode: '001',
      rejectMessage: 'Sequence name not allowed.',
      rejectStatus: 409,
    });
    // create registers what AT would accept, and leaves the refused name pending
    const refusedAtCreate = sequenceOf(await create('2027'));
    expect(invoiceCode(refusedAtCreate)).toBe('N/D');
    expect(invoiceCode(sequenceOf(await create('2027B')))).toMatch(/^SBX/);
    const refused = await ix('PUT', `/sequences/${String(refusedAtCreate.id)}/register.json`);
    expect(refused.status).toBe(409);
    expect(refused.json).toEqual({ errors: { code: '001', message: 'Sequence name not allowed.' } });

    await control('PATCH', '/at', { onCreate: 'pending' });
    const other = sequenceOf(await create('2027C'));
    expect((await ix('PUT', `/sequences/${String(other.id)}/register.json`)).status).toBe(200);
    expect(invoiceCode(await readSequence(other.id))).toMatch(/^SBX/);
  });

  it('an account-wide failure answers every serie the same, whatever rejectSeries says', async () => {
    await control('PATCH', '/at', { onRegister: 'account_failure', rejectSeries: ['2027'] });
    const answers = [];
    for (const serie of ['2027', '2027B']) {
      const created = sequenceOf(await create(serie));
      expect(invoiceCode(created)).toBe('N/D');
      answers.push(await ix('PUT', `/sequences/${String(created.id)}/register.json`));
    }
    for (const answer of answers) {
      expect(answer.status).toBe(422);
      expect(answer.json).toEqual({ errors: { code: '004', message: sandbox.state().at.accountFailureMessage } });
    }
    await control('PATCH', '/at', { accountFailureShape: 'list', accountFailureMessage: 'Credenciais AT inválidas', accountFailureStatus: 400 });
    const listShaped = await ix('PUT', `/sequences/${String(sandbox.sequences()[1]?.id)}/register.json`);
    expect(listShaped.status).toBe(400);
    expect(listShaped.json).toEqual({ errors: [{ error: 'Credenciais AT inválidas' }] });
  });

  it('registerDelayMs: the answer comes late, and the serie reads pending until then', async () => {
    await control('PATCH', '/at', { onCreate: 'pending', registerDelayMs: 300 });
    const { id } = sequenceOf(await create('2027'));
    const started = Date.now();
    const registering = ix('PUT', `/sequences/${String(id)}/register.json`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(invoiceCode(await readSequence(id))).toBe('N/D');
    expect((await registering).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(invoiceCode(await readSequence(id))).toMatch(/^SBX/);
  });

  it('codesDelayMs: register answers OK at once, the codes appear later (register again meanwhile: OK, nothing new)', async () => {
    await control('PATCH', '/at', { onCreate: 'pending', codesDelayMs: 300 });
    const { id } = sequenceOf(await create('2027'));
    const started = Date.now();
    expect((await ix('PUT', `/sequences/${String(id)}/register.json`)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(250);
    expect(invoiceCode(await readSequence(id))).toBe('N/D');
    expect((await ix('PUT', `/sequences/${String(id)}/register.json`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 320));
    expect(invoiceCode(await readSequence(id))).toMatch(/^SBX/);
    expect(invoiceCode(sandbox.sequences().find((s) => s.id === id))).toMatch(/^SBX/);
  });

  it('codesDelayMs applies to a create that registers, too', async () => {
    await control('PATCH', '/at', { codesDelayMs: 200 });
    const created = sequenceOf(await create('2027'));
    expect(invoiceCode(created)).toBe('N/D');
    await new Promise((resolve) => setTimeout(resolve, 220));
    expect(invoiceCode(await readSequence(created.id))).toMatch(/^SBX/);
  });

  it.each([422, 409])('register on a registered sequence answers code 007 with status %i', async (status) => {
    if (status === 409) await control('PATCH', '/at', { alreadyRegisteredStatus: 409 });
    const again = await ix('PUT', '/sequences/146090/register.json');
    expect(again.status).toBe(status);
    expect(again.json).toEqual({ errors: { code: '007', message: 'All Sequences are registered in AT.' } });
  });
});

describe('seeding (PUT /_sandbox/sequences) and a person acting', () => {
  it("empties the account, and seeds the docs' example again", async () => {
    const emptied = await control('PUT', '/sequences', { seed: 'empty' });
    expect(emptied.json).toEqual({ sequences: [] });
    expect((await ix('GET', '/sequences.json')).json).toEqual({ sequences: [] });
    const docs = await control('PUT', '/sequences', { seed: 'docs' });
    expect((docs.json['sequences'] as RawSequence[]).map((s) => [s.id, s.serie, s.default_sequence])).toEqual([[146090, '2022', 1]]);
  });

  it('seeds a given list: default, registered, pending, partial, no document fields, a fixed id', async () => {
    const seeded = await control('PUT', '/sequences', {
      seed: [
        { serie: '2026', default: true },
        { serie: '2027', documents: 'pending' },
        { serie: '2027B', documents: 'partial' },
        { serie: 'FT2027', documents: 'none', id: 900001 },
      ],
    });
    expect(seeded.status).toBe(200);
    const bySerie = new Map((await stateOf()).sequences.map((s) => [s.serie, s]));
    expect(bySerie.get('2026')).toMatchObject({ default_sequence: 1 });
    expect(Object.values(bySerie.get('2026') ?? {})).not.toContain('N/D');
    expect(invoiceCode(bySerie.get('2027'))).toBe('N/D');
    const partial: Record<string, unknown> = bySerie.get('2027B') ?? {};
    expect(partial['current_invoice_validation_code']).toMatch(/^SBX/);
    expect(partial['current_credit_note_validation_code']).toBe('N/D');
    expect(bySerie.get('FT2027')).toEqual({ id: 900001, serie: 'FT2027', default_sequence: 0 });
    expect((await ix('GET', '/sequences/900001.json')).json).toEqual({ sequences: { id: 900001, serie: 'FT2027', default_sequence: 0 } });
    // ids given out later do not collide with the fixed one
    expect(sequenceOf(await create('2028')).id).toBeGreaterThan(900001);
  });

  it('seeds families of series (FR2026, B2B26 beside 2026), and AT refuses per name: FR2027 only', async () => {
    const seeded = await control('PUT', '/sequences', { seed: [{ serie: '2026', default: true }, { serie: 'FR2026' }, { serie: 'B2B26' }] });
    expect((seeded.json['sequences'] as RawSequence[]).map((s) => [s.serie, s.default_sequence])).toEqual([
      ['2026', 1],
      ['FR2026', 0],
      ['B2B26', 0],
    ]);
    await control('PATCH', '/at', { onCreate: 'pending', onRegister: 'reject', rejectSeries: ['FR2027'] });
    const web = sequenceOf(await create('FR2027'));
    const b2b = sequenceOf(await create('B2B27'));
    expect((await ix('PUT', `/sequences/${String(web.id)}/register.json`)).status).toBe(422);
    expect((await ix('PUT', `/sequences/${String(b2b.id)}/register.json`)).status).toBe(200);
    expect(invoiceCode(await readSequence(web.id))).toBe('N/D');
    expect(invoiceCode(await readSequence(b2b.id))).toMatch(/^SBX/);
  });

  it("seeds 'incomplete': registered, the invoice type with its number only (as a real account answered)", async () => {
    await control('PUT', '/sequences', { seed: [{ serie: 'A', default: true, documents: 'incomplete', id: 201 }] });
    const [raw] = (await ix('GET', '/sequences.json')).json['sequences'] as RawSequence[];
    const invoiceFields = Object.keys(raw ?? {}).filter((key) => key.startsWith('current_invoice_') && !key.startsWith('current_invoice_receipt'));
    expect(invoiceFields).toEqual(['current_invoice_number']);
    expect(raw?.['current_receipt_validation_code']).toMatch(/^SBX/);
    expect(raw?.['current_fees_note_validation_code']).toBe('N/A');
  });

  it('keeps faults, AT behaviour and the request log when seeding', async () => {
    await control('PATCH', '/at', { onCreate: 'pending' });
    await ix('GET', '/sequences.json');
    await control('PUT', '/sequences', { seed: 'empty' });
    expect(sandbox.requests).toHaveLength(1);
    expect(sandbox.state().at.onCreate).toBe('pending');
  });

  it("a person can create a serie and make it the default through InvoiceXpress's own paths", async () => {
    await control('PUT', '/sequences', { seed: [{ serie: '2026', default: true }] });
    const { id } = sequenceOf(await create('FT2027'));
    expect((await ix('PUT', `/sequences/${String(id)}/set_current.json`)).status).toBe(200);
    const { sequences } = await stateOf();
    expect(sequences.filter((s) => s.default_sequence === 1).map((s) => s.serie)).toEqual(['FT2027']);
  });
});

describe('faults, rate limit, latency', () => {
  it('adds a status fault with Retry-After for chosen operations and times, lists it, and clears it', async () => {
    const added = await control('POST', '/faults', {
      fault: { kind: 'status', status: 503, retryAfterSeconds: 4 },
      operations: ['get'],
      times: 2,
    });
    expect(added.json['faults']).toEqual([{ fault: { kind: 'status', status: 503, retryAfterSeconds: 4 }, operations: ['get'], times: 2 }]);
    expect((await ix('GET', '/sequences.json')).status).toBe(200);
    const failed = await ix('GET', '/sequences/146090.json');
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('4');
    expect((await stateOf()).faults).toEqual([{ fault: { kind: 'status', status: 503, retryAfterSeconds: 4 }, operations: ['get'], times: 1 }]);
    expect((await control('DELETE', '/faults')).json).toEqual({ faults: [] });
    expect((await ix('GET', '/sequences/146090.json')).status).toBe(200);
  });

  it('drop_response acts and closes the connection; malformed answers its body; latency delays', async () => {
    await control('POST', '/faults', { fault: { kind: 'drop_response' }, operations: ['create'], times: 1 });
    await expect(create('2031')).rejects.toThrow();
    expect(sandbox.sequences().map((s) => s.serie)).toContain('2031');
    await control('POST', '/faults', { fault: { kind: 'malformed', body: '{"nope":1}' }, operations: ['list'], times: 1 });
    expect((await ix('GET', '/sequences.json')).text).toBe('{"nope":1}');
    await control('POST', '/faults', { fault: { kind: 'latency', ms: 200 }, times: 1 });
    const started = Date.now();
    await ix('GET', '/sequences.json');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('hang never answers', async () => {
    await control('POST', '/faults', { fault: { kind: 'hang' }, times: 1 });
    const hanging = fetch(`${sandbox.url}/sequences.json?api_key=${sandbox.apiKey}`, { signal: AbortSignal.timeout(150) });
    await expect(hanging).rejects.toThrow();
    expect(sandbox.requests.at(-1)?.status).toBe('hang');
  });

  it('sets and removes a rate limit per minute', async () => {
    expect((await control('PUT', '/rate-limit', { perMinute: 2 })).json).toEqual({ rateLimitPerMinute: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await ix('GET', '/sequences.json')).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await control('PUT', '/rate-limit', { perMinute: null })).json).toEqual({ rateLimitPerMinute: null });
    expect((await ix('GET', '/sequences.json')).status).toBe(200);
  });

  it('sets latency on every answer', async () => {
    expect((await control('PUT', '/latency', { ms: 150 })).json).toEqual({ latencyMs: 150 });
    const started = Date.now();
    await ix('GET', '/sequences.json');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('wire variants (PUT /_sandbox/variants)', () => {
  const listed = async (): Promise<RawSequence> => ((await ix('GET', '/sequences.json')).json['sequences'] as RawSequence[])[0] as RawSequence;

  it('not_in_list: the list lacks the current_* fields, get still has them', async () => {
    expect((await control('PUT', '/variants', { currentFields: 'not_in_list' })).json).toEqual({ variants: { currentFields: 'not_in_list' } });
    expect(await listed()).toEqual({ id: 146090, serie: '2022', default_sequence: 1 });
    expect(invoiceCode(await readSequence(146090))).toBe('ABCD1230');
  });

  it('none: neither list nor get (nor create) has them', async () => {
    await control('PUT', '/variants', { currentFields: 'none' });
    expect(await listed()).toEqual({ id: 146090, serie: '2022', default_sequence: 1 });
    expect(await readSequence(146090)).toEqual({ id: 146090, serie: '2022', default_sequence: 1 });
    expect(Object.keys(sequenceOf(await create('2027')))).toEqual(['id', 'serie', 'default_sequence']);
    // the state itself still has them: only the answers hide them
    expect(sandbox.sequences()[0]?.['current_invoice_validation_code']).toBe('ABCD1230');
  });

  it('the existing variants: singleKey, stringly, actionBody, pageSize', async () => {
    await control('PUT', '/variants', { singleKey: 'sequence', stringly: true, actionBody: 'text', pageSize: 1 });
    const got = await ix('GET', '/sequences/146090.json');
    expect(got.json['sequence']).toMatchObject({ id: '146090', default_sequence: '1' });
    expect(got.json['pagination']).toBeUndefined();
    expect((await ix('GET', '/sequences.json')).json['pagination']).toMatchObject({ total_pages: 1, per_page: 1 });
    expect((await ix('PUT', '/sequences/146090/set_current.json')).text).toBe('OK');
  });

  it('replaces the variants as a whole', async () => {
    await control('PUT', '/variants', { singleKey: 'sequence' });
    await control('PUT', '/variants', { stringly: true });
    expect(sandbox.state().variants).toEqual({ stringly: true });
  });
});

describe('state, request log, reset', () => {
  it('shows the request log over HTTP and empties it', async () => {
    await ix('GET', '/sequences.json');
    await ix('PUT', '/sequences/146090/set_current.json');
    const log = await control('GET', '/requests');
    expect((log.json['requests'] as { method: string; path: string; status: number }[]).map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', '/sequences.json', 200],
      ['PUT', '/sequences/146090/set_current.json', 200],
    ]);
    expect(log.text).not.toContain(sandbox.apiKey);
    expect((await control('DELETE', '/requests')).json).toEqual({ requests: [] });
    expect(sandbox.requests).toHaveLength(0);
  });

  it('reset goes back to the start', async () => {
    await control('PATCH', '/at', { onRegister: 'reject' });
    await control('PUT', '/sequences', { seed: 'empty' });
    await control('PUT', '/variants', { currentFields: 'none' });
    await control('PUT', '/rate-limit', { perMinute: 5 });
    await control('POST', '/faults', { fault: { kind: 'hang' } });
    const state = (await control('POST', '/reset')).json;
    expect(state).toMatchObject({ variants: {}, faults: [], rateLimitPerMinute: null, latencyMs: 0, accountName: 'sandbox' });
    expect(state['at']).toMatchObject({ onCreate: 'register', onRegister: 'ok', rejectSeries: 'all' });
    expect((state['sequences'] as RawSequence[]).map((s) => s.serie)).toEqual(['2022']);
  });
});

describe('bad input answers 400 with a clear message and changes nothing', () => {
  it.each([
    ['PATCH', '/at', { onRegister: 'sometimes' }, 'onRegister: Invalid option'],
    ['PATCH', '/at', { onCreate: 'pending', colour: 'red' }, 'Unrecognized key: "colour"'],
    ['PATCH', '/at', { rejectSeries: [] }, 'rejectSeries'],
    ['PATCH', '/at', { registerDelayMs: -1 }, 'registerDelayMs'],
    ['PATCH', '/at', { alreadyRegisteredStatus: 404 }, 'alreadyRegisteredStatus'],
    ['PATCH', '/at', '{"onCreate":', 'the body is not valid JSON'],
    ['PUT', '/sequences', { seed: 'some' }, 'seed'],
    ['PUT', '/sequences', { seed: [{ serie: '' }] }, 'seed.0.serie'],
    ['PUT', '/sequences', { seed: [{ serie: '2027' }, { serie: '2027' }] }, 'serie "2027" appears twice'],
    [
      'PUT',
      '/sequences',
      {
        seed: [
          { serie: 'A', default: true },
          { serie: 'B', default: true },
        ],
      },
      'only one sequence can be the default',
    ],
    [
      'PUT',
      '/sequences',
      {
        seed: [
          { serie: 'A', id: 7 },
          { serie: 'B', id: 7 },
        ],
      },
      'id 7 appears twice',
    ],
    ['POST', '/faults', { fault: { kind: 'explode' } }, 'fault.kind'],
    ['POST', '/faults', { fault: { kind: 'status', status: 42 } }, 'fault.status'],
    ['POST', '/faults', { fault: { kind: 'hang' }, operations: ['delete'] }, 'operations.0'],
    ['POST', '/faults', { fault: { kind: 'hang' }, times: 0 }, 'times'],
    ['PUT', '/variants', { currentFields: 'some' }, 'currentFields'],
    ['PUT', '/variants', { pageSize: 0 }, 'pageSize'],
    ['PUT', '/rate-limit', { perMinute: 'fast' }, 'perMinute'],
    ['PUT', '/rate-limit', {}, 'perMinute'],
    ['PUT', '/latency', { ms: 'slow' }, 'ms'],
  ])('%s %s %j', async (method, path, body, fragment) => {
    const before = sandbox.state();
    const answer = await control(method, path, body);
    expect(answer.status).toBe(400);
    expect(answer.json['error']).toContain(`${method} /_sandbox${path}: `);
    expect(answer.json['error']).toContain(fragment);
    expect(sandbox.state()).toEqual(before);
  });
});
