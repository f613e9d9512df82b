import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxApiKeys, startSandbox } from '../../sandbox/server.ts';
import type { RawSequence, Sandbox } from '../../sandbox/types.ts';
import { rawRequest } from '../support/raw-http.ts';
import type { RawAnswer } from '../support/raw-http.ts';
import { createInvoiceXpressClient } from '../../shared/invoicexpress/client.ts';

/**
 * Many InvoiceXpress accounts in one sandbox: each at /accounts/{name}/… with its own key and
 * state, driven under /_sandbox/accounts/{name}/…, over real HTTP.
 */

const DEFAULT_KEY = 'k-sandbox-accounts-tests';
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: DEFAULT_KEY, accounts: { preset: { apiKey: 'k-preset-5e1', seed: 'empty' } } });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  for (const name of sandbox.accountNames().slice(1)) sandbox.removeAccount(name);
  sandbox.reset();
  await control('PUT', '/accounts/a', { apiKey: 'k-account-a' });
  await control('PUT', '/accounts/b', { apiKey: 'k-account-b' });
});

const control = (method: string, path: string, body?: unknown): Promise<RawAnswer> => rawRequest(method, `${sandbox.controlUrl}${path}`, body);

/** An InvoiceXpress path of account `name` (the default account for ''), with `key`. */
const ix = (name: string, key: string, method: string, path: string, body?: unknown): Promise<RawAnswer> =>
  rawRequest(method, `${sandbox.url}${name === '' ? '' : `/accounts/${name}`}${path}?api_key=${encodeURIComponent(key)}`, body);

const create = (name: string, key: string, serie: string): Promise<RawAnswer> =>
  ix(name, key, 'POST', '/sequences.json', { sequence: { serie, default_sequence: '0' } });

const seriesOf = async (name: string, key: string): Promise<string[]> =>
  ((await ix(name, key, 'GET', '/sequences.json')).json['sequences'] as RawSequence[]).map((sequence) => sequence.serie);

const createdId = (answer: RawAnswer): number => (answer.json['sequences'] as RawSequence).id;

describe('keys: each account accepts its own key only', () => {
  it("answers 401 to another account's key, and to the default account's", async () => {
    expect((await ix('a', 'k-account-a', 'GET', '/sequences.json')).status).toBe(200);
    for (const key of ['k-account-b', DEFAULT_KEY, '']) {
      const denied = await ix('a', key, 'GET', '/sequences.json');
      expect(denied.status).toBe(401);
      expect(denied.json).toEqual({ errors: [{ error: 'Access denied' }] });
    }
    expect((await ix('', 'k-account-a', 'GET', '/sequences.json')).status).toBe(401);
  });

  it('a re-key over HTTP: the old key answers 401, the new one works, the sequences stay', async () => {
    await create('a', 'k-account-a', '2027');
    const rekeyed = await control('PUT', '/accounts/a', { apiKey: 'k-account-a-2' });
    expect(rekeyed.status).toBe(200);
    expect(rekeyed.json).toMatchObject({ accountName: 'a', rateLimitPerMinute: null });
    expect((await ix('a', 'k-account-a', 'GET', '/sequences.json')).status).toBe(401);
    expect(await seriesOf('a', 'k-account-a-2')).toEqual(['2022', '2027']);
  });

  it('a re-key in code, on a handle; reset goes back to the first key', async () => {
    const b = sandbox.account('b');
    b?.rekey('k-account-b-2');
    expect(b?.apiKey).toBe('k-account-b-2');
    expect((await ix('b', 'k-account-b', 'GET', '/sequences.json')).status).toBe(401);
    expect((await ix('b', 'k-account-b-2', 'GET', '/sequences.json')).status).toBe(200);
    b?.reset();
    expect((await ix('b', 'k-account-b', 'GET', '/sequences.json')).status).toBe(200);
  });

  it('sandboxApiKeys() has every key any account accepts or accepted', async () => {
    await control('PUT', '/accounts/a', { apiKey: 'k-account-a-rotated' });
    sandbox.addAccount('c', { apiKey: 'k-account-c' }).rekey('k-account-c-2');
    const added = sandbox.addAccount('d');
    expect(added.apiKey).toBe('sandbox-key-d');
    expect(sandboxApiKeys()).toEqual(
      expect.arrayContaining([
        DEFAULT_KEY,
        'k-preset-5e1',
        'k-account-a',
        'k-account-a-rotated',
        'k-account-b',
        'k-account-c',
        'k-account-c-2',
        'sandbox-key-d',
      ]),
    );
  });
});

describe('state: each account has its own', () => {
  it('a serie created in a is not in b or the default account; ids are per account', async () => {
    const inA = await create('a', 'k-account-a', '2027');
    const inB = await create('b', 'k-account-b', '2031');
    expect(inA.status).toBe(201);
    expect(createdId(inA)).toBe(createdId(inB));
    expect(await seriesOf('a', 'k-account-a')).toEqual(['2022', '2027']);
    expect(await seriesOf('b', 'k-account-b')).toEqual(['2022', '2031']);
    expect(await seriesOf('', DEFAULT_KEY)).toEqual(['2022']);
    // The same id means a different sequence in each account.
    const id = String(createdId(inA));
    expect((await ix('b', 'k-account-b', 'PUT', `/sequences/${id}/set_current.json`)).status).toBe(200);
    expect(
      sandbox
        .account('a')
        ?.sequences()
        .find((sequence) => sequence.default_sequence === 1)?.serie,
    ).toBe('2022');
    expect(
      sandbox
        .account('b')
        ?.sequences()
        .find((sequence) => sequence.default_sequence === 1)?.serie,
    ).toBe('2031');
  });

  it('AT behaviour is per account: account_failure in b leaves a registering', async () => {
    const set = await control('PATCH', '/accounts/b/at', { onRegister: 'account_failure', onCreate: 'pending' });
    expect(set.json['at']).toMatchObject({ onRegister: 'account_failure' });
    await control('PATCH', '/accounts/a/at', { onCreate: 'pending' });
    const inA = createdId(await create('a', 'k-account-a', '2027'));
    const inB = createdId(await create('b', 'k-account-b', '2027'));
    expect((await ix('a', 'k-account-a', 'PUT', `/sequences/${String(inA)}/register.json`)).status).toBe(200);
    const failed = await ix('b', 'k-account-b', 'PUT', `/sequences/${String(inB)}/register.json`);
    expect(failed.status).toBe(422);
    expect(failed.json).toMatchObject({ errors: { code: '004' } });
    expect(sandbox.state().at.onRegister).toBe('ok');
  });

  it('faults, the rate limit, latency and the request log are per account', async () => {
    await control('POST', '/accounts/a/faults', { fault: { kind: 'status', status: 503 } });
    await control('PUT', '/accounts/b/rate-limit', { perMinute: 1 });
    await control('PUT', '/accounts/b/latency', { ms: 5 });
    const statuses = async (name: string, key: string): Promise<number[]> => {
      const answers = [await ix(name, key, 'GET', '/sequences.json'), await ix(name, key, 'GET', '/sequences.json')];
      return answers.map((answer) => answer.status);
    };
    expect(await statuses('a', 'k-account-a')).toEqual([503, 503]);
    expect(await statuses('b', 'k-account-b')).toEqual([200, 429]);
    expect(await statuses('', DEFAULT_KEY)).toEqual([200, 200]);
    const log = await control('GET', '/accounts/b/requests');
    expect(log.json['requests']).toEqual([
      expect.objectContaining({ operation: 'list', path: '/accounts/b/sequences.json', status: 200 }),
      expect.objectContaining({ operation: 'list', path: '/accounts/b/sequences.json', status: 429 }),
    ]);
    expect(sandbox.account('a')?.requests.map((record) => record.status)).toEqual([503, 503]);
    expect(sandbox.requests.map((record) => record.path)).toEqual(['/sequences.json', '/sequences.json']);
    expect((await control('GET', '/accounts/b/state')).json).toMatchObject({ accountName: 'b', rateLimitPerMinute: 1, latencyMs: 5 });
    expect((await control('DELETE', '/accounts/b/requests')).json).toEqual({ requests: [] });
    expect(sandbox.requests).toHaveLength(2);
  });

  it('POST /_sandbox/reset resets the default account only; /_sandbox/accounts/{name}/reset that account', async () => {
    await control('PUT', '/accounts/a/sequences', { seed: 'empty' });
    await control('PUT', '/sequences', { seed: 'empty' });
    await control('POST', '/reset');
    expect(sandbox.sequences().map((sequence) => sequence.serie)).toEqual(['2022']);
    expect(sandbox.accountNames()).toEqual(['sandbox', 'a', 'b']);
    expect(sandbox.account('a')?.sequences()).toEqual([]);
    const reset = await control('POST', '/accounts/a/reset');
    expect((reset.json['sequences'] as RawSequence[]).map((sequence) => sequence.serie)).toEqual(['2022']);
  });

  it('an account starts from its PUT body, and its reset returns there', async () => {
    const body = { apiKey: 'k-account-e', seed: [{ serie: '2026', default: true }], at: { onCreate: 'pending' }, rateLimitPerMinute: 50, latencyMs: 1 };
    const created = await control('PUT', '/accounts/e', body);
    expect(created.json).toMatchObject({ accountName: 'e', at: { onCreate: 'pending' }, rateLimitPerMinute: 50, latencyMs: 1 });
    await control('PUT', '/accounts/e', { apiKey: 'k-account-e', rateLimitPerMinute: null, variants: { stringly: true } });
    expect(sandbox.account('e')?.state()).toMatchObject({ rateLimitPerMinute: null, latencyMs: 1, variants: { stringly: true } });
    const reset = (await control('POST', '/accounts/e/reset')).json;
    expect(reset).toMatchObject({ rateLimitPerMinute: 50, variants: {}, at: { onCreate: 'pending' } });
    expect((reset['sequences'] as RawSequence[]).map((sequence) => sequence.serie)).toEqual(['2026']);
  });
});

describe('the default account, and accounts that do not exist', () => {
  it('is reached at its own paths and at /accounts/{its name}, in both the API and the control endpoint', async () => {
    await create('sandbox', DEFAULT_KEY, '2027');
    expect(await seriesOf('', DEFAULT_KEY)).toEqual(['2022', '2027']);
    expect(sandbox.account('sandbox')?.baseUrl).toBe(`${sandbox.url}/accounts/sandbox`);
    await control('PATCH', '/accounts/sandbox/at', { onCreate: 'pending' });
    expect(sandbox.state().at.onCreate).toBe('pending');
    expect((await control('GET', '/state')).json).toEqual((await control('GET', '/accounts/sandbox/state')).json);
  });

  it('an unknown account answers the HTML 404 of an unknown route, and logs nowhere', async () => {
    const unknownRoute = await ix('', DEFAULT_KEY, 'GET', '/nothing.json');
    for (const path of ['/accounts/zz/sequences.json', '/accounts/A/sequences.json', '/accounts/zz/sequences/146090/register.json']) {
      const answer = await rawRequest(path.endsWith('register.json') ? 'PUT' : 'GET', `${sandbox.url}${path}?api_key=k-account-a`);
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-type')).toBe(unknownRoute.headers.get('content-type'));
      expect(answer.text).toBe(unknownRoute.text);
    }
    expect(sandbox.requests.map((record) => record.path)).toEqual(['/nothing.json']);
    expect(sandbox.account('a')?.requests).toEqual([]);
  });

  it('an unknown account answers 404 on the control endpoint', async () => {
    for (const [method, path] of [
      ['GET', '/accounts/zz/state'],
      ['PATCH', '/accounts/zz/at'],
      ['DELETE', '/accounts/zz'],
    ] as const) {
      const answer = await control(method, path, method === 'PATCH' ? { onCreate: 'pending' } : undefined);
      expect(answer.status).toBe(404);
      expect(answer.json['error']).toBe('no sandbox account "zz" (PUT /_sandbox/accounts/zz creates it)');
    }
    expect((await control('GET', '/accounts/a/nothing')).status).toBe(404);
    const wrongMethod = await control('GET', '/accounts/a');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('PUT, DELETE');
  });
});

describe('the accounts themselves', () => {
  it('GET /_sandbox/accounts lists every account, the default first', async () => {
    await create('a', 'k-account-a', '2027');
    expect((await control('GET', '/accounts')).json).toEqual({
      accounts: [
        { accountName: 'sandbox', apiKey: DEFAULT_KEY, sequences: 1, requests: 0 },
        { accountName: 'a', apiKey: 'k-account-a', sequences: 2, requests: 1 },
        { accountName: 'b', apiKey: 'k-account-b', sequences: 1, requests: 0 },
      ],
    });
    const routes = ((await control('GET', '')).json['routes'] as { route: string }[]).map((entry) => entry.route);
    expect(routes).toEqual(
      expect.arrayContaining(['PATCH /_sandbox/at', 'PUT /_sandbox/accounts/{name}', 'PATCH /_sandbox/accounts/{name}/at', 'GET /_sandbox/accounts']),
    );
  });

  it('DELETE removes an added account (its paths then answer 404); the default account cannot be removed', async () => {
    const removed = await control('DELETE', '/accounts/b');
    expect(removed.status).toBe(200);
    expect((removed.json['accounts'] as { accountName: string }[]).map((account) => account.accountName)).toEqual(['sandbox', 'a']);
    expect((await ix('b', 'k-account-b', 'GET', '/sequences.json')).status).toBe(404);
    expect(sandbox.account('b')).toBeUndefined();
    const refused = await control('DELETE', '/accounts/sandbox');
    expect(refused.status).toBe(400);
    expect(refused.json['error']).toBe('DELETE /_sandbox/accounts/sandbox: the default account "sandbox" cannot be removed');
    expect(() => sandbox.removeAccount('sandbox')).toThrow('cannot be removed');
    expect(sandbox.removeAccount('b')).toBe(false);
  });

  it.each([
    ['Acme', { apiKey: 'k-refused-1f0' }, 'account name "Acme": must be an InvoiceXpress account name'],
    ['-acme', { apiKey: 'k-refused-1f0' }, 'account name "-acme"'],
    ['acme_co', { apiKey: 'k-refused-1f0' }, 'account name "acme_co"'],
    ['a'.repeat(64), { apiKey: 'k-refused-1f0' }, 'lowercase letters, digits or hyphens'],
    ['acme', {}, 'apiKey: Invalid input'],
    ['acme', { apiKey: '' }, 'apiKey: must be a non-empty key without spaces'],
    ['acme', { apiKey: 'two words' }, 'apiKey: must be a non-empty key without spaces'],
    ['acme', { apiKey: 'k-refused-1f0', colour: 'red' }, 'Unrecognized key: "colour"'],
    ['acme', { apiKey: 'k-refused-1f0', seed: [{ serie: 'A' }, { serie: 'A' }] }, 'serie "A" appears twice'],
    ['a', { apiKey: 'k-refused-1f0', seed: [{ serie: 'A' }, { serie: 'A' }] }, 'serie "A" appears twice'],
  ])('PUT /_sandbox/accounts/%s %j: 400 naming the problem, nothing changes', async (name, body, fragment) => {
    const before = (await control('GET', '/accounts')).json;
    const answer = await control('PUT', `/accounts/${name}`, body);
    expect(answer.status).toBe(400);
    expect(answer.json['error']).toContain(`PUT /_sandbox/accounts/${name}: `);
    expect(answer.json['error']).toContain(fragment);
    expect((await control('GET', '/accounts')).json).toEqual(before);
    // A key is on record (for the log scan) once an account accepts it, not when it is refused.
    expect(sandboxApiKeys()).not.toContain('k-refused-1f0');
  });

  it('in code: addAccount, account, accountNames, accountUrlTemplate; the client at an account baseUrl', async () => {
    expect(sandbox.accountUrlTemplate).toBe(`${sandbox.url}/accounts/{account}`);
    const c = sandbox.addAccount('c', { apiKey: 'k-account-c', seed: false });
    expect(c).toMatchObject({ accountName: 'c', apiKey: 'k-account-c', baseUrl: sandbox.accountUrlTemplate.replace('{account}', 'c') });
    expect(sandbox.account('c')).toBe(c);
    expect(sandbox.account('sandbox')?.apiKey).toBe(DEFAULT_KEY);
    expect(() => sandbox.addAccount('c', { apiKey: 'k-refused-1f0' })).toThrow('account "c" already exists');
    expect(() => sandbox.addAccount('C')).toThrow('account name "C"');
    expect(sandbox.accountNames()).toEqual(['sandbox', 'a', 'b', 'c']);
    // The client, pointed at each account's base URL, sees that account only.
    const client = createInvoiceXpressClient({ accountName: 'c', apiKey: c.apiKey, baseUrl: c.baseUrl, timeoutMs: 2000 });
    expect(await client.list()).toEqual([]);
  });

  it('accounts given to startSandbox', async () => {
    const started = await startSandbox({ accounts: { x: { apiKey: 'k-account-x', seed: 'empty' }, y: { apiKey: 'k-account-y' } } });
    try {
      expect(started.accountNames()).toEqual(['sandbox', 'x', 'y']);
      expect(started.account('x')?.sequences()).toEqual([]);
      expect(
        started
          .account('y')
          ?.sequences()
          .map((sequence) => sequence.serie),
      ).toEqual(['2022']);
    } finally {
      await started.close();
    }
    await expect(startSandbox({ accounts: { X: { apiKey: 'k-refused-1f0' } } })).rejects.toThrow('account name "X"');
  });
});

describe('at scale', () => {
  it('1,000 accounts created over HTTP, then 2,000 requests with 64 in flight, each landing in its account', async () => {
    const names = Array.from({ length: 1000 }, (_, index) => `acct-${String(index)}`);
    const inFlight = async <T>(items: T[], limit: number, each: (item: T) => Promise<void>): Promise<void> => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < items.length) await each(items[next++] as T);
      };
      await Promise.all(Array.from({ length: limit }, worker));
    };
    const started = Date.now();
    await inFlight(names, 16, async (name) => {
      expect((await control('PUT', `/accounts/${name}`, { apiKey: `k-${name}` })).status).toBe(200);
    });
    const createMs = Date.now() - started;
    const calls = Array.from({ length: 2000 }, (_, index) => names[(index * 7) % names.length] ?? '');
    await inFlight(calls, 64, async (name) => {
      expect((await ix(name, `k-${name}`, 'GET', '/sequences.json')).status).toBe(200);
    });
    console.log(`1,000 accounts in ${String(createMs)} ms; 2,000 requests in ${String(Date.now() - started - createMs)} ms`);
    expect(sandbox.account('acct-7')?.requests).toHaveLength(2);
    expect(sandbox.accountNames()).toHaveLength(1003);
  });
});
