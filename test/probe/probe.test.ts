import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalSecretsManager } from '../../local/secrets-manager-endpoint.ts';
import type { LocalSecretsManager } from '../../local/secrets-manager-endpoint.ts';
import { analyse, FINDING_IDS } from '../../local/probe/findings.ts';
import type { FindingId, ProbeReport } from '../../local/probe/findings.ts';
import { httpGet } from '../../local/probe/http.ts';
import type { ProbeResponse } from '../../local/probe/http.ts';
import { observe } from '../../local/probe/observe.ts';
import { formatReport } from '../../local/probe/report.ts';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox, SandboxVariants } from '../../sandbox/types.ts';

/** `npm run probe` against the sandbox: what it reports in each wire variant, and that it only reads. */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = `${ROOT}node_modules/.bin/node`;
const API_KEY = 'k-probe-tests-3b1f0c9a';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: API_KEY, accountName: 'probe-account' });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
  // Two sequences, so that paging can be told apart from a whole list.
  sandbox.seedAccount([
    { serie: '2026', default: true },
    { serie: '2027', documents: 'pending' },
  ]);
});

async function probeSandbox(): Promise<ProbeReport> {
  return analyse(sandbox.url, await observe(httpGet(sandbox.url, API_KEY)));
}

const valuesOf = (report: ProbeReport): Record<FindingId, unknown> =>
  Object.fromEntries(FINDING_IDS.map((id) => [id, report.findings[id].value])) as Record<FindingId, unknown>;

/** What the probe reports for the docs' shapes: the baseline each variant changes. */
const DOCS_SHAPES: Record<FindingId, unknown> = {
  singleKey: 'sequences',
  listCurrentFields: 'all',
  getCurrentFields: true,
  paginationObject: false,
  pageParameters: 'ignored',
  numbersAsStrings: 'numbers',
  defaultSequence: 'number',
  serieType: 'string',
  rateLimitHeaders: [],
  documentTypes: [],
  incompleteTypes: [],
  notFoundBody: 'blank',
  wrongKeyBody: null,
  writeAnswers: null,
  createMakesDefault: null,
};

describe('the probe in each wire variant of the sandbox', () => {
  it.each<[string, SandboxVariants, Partial<Record<FindingId, unknown>>]>([
    ["the docs' shapes", {}, {}],
    ['single key "sequence"', { singleKey: 'sequence' }, { singleKey: 'sequence' }],
    ['numbers as strings', { stringly: true }, { numbersAsStrings: 'strings', defaultSequence: 'string' }],
    ['a paginated list', { pageSize: 1 }, { paginationObject: true, pageParameters: 'honoured' }],
    ['a list without current_*', { currentFields: 'not_in_list' }, { listCurrentFields: 'none' }],
    ['no current_* anywhere', { currentFields: 'none' }, { listCurrentFields: 'none', getCurrentFields: false, documentTypes: null, incompleteTypes: null }],
    ['register/set_current bodies (writes: not visible to a read-only probe)', { actionBody: 'text' }, {}],
    ['a create that makes the new serie the default (a write: not visible either)', { createBecomesDefault: true }, {}],
    [
      'all at once',
      { singleKey: 'sequence', stringly: true, pageSize: 1, currentFields: 'not_in_list' },
      {
        singleKey: 'sequence',
        numbersAsStrings: 'strings',
        defaultSequence: 'string',
        paginationObject: true,
        pageParameters: 'honoured',
        listCurrentFields: 'none',
      },
    ],
  ])('%s: the report says what the variant does, and only GETs were sent', async (_name, variants, changed) => {
    sandbox.setVariants(variants);
    const report = await probeSandbox();
    expect(valuesOf(report)).toEqual({ ...DOCS_SHAPES, ...changed });
    expect(sandbox.requests.length).toBe(report.requests.length);
    expect(new Set(sandbox.requests.map((request) => request.method))).toEqual(new Set(['GET']));
    expect(report.sequencesInAccount).toBe(2);
  });

  it('a document type with its number but no sequence id: named, and the service reads every answer', async () => {
    sandbox.seedAccount([{ serie: 'A', default: true, documents: 'incomplete' }, { serie: '2027' }]);
    const report = await probeSandbox();
    expect(report.findings.incompleteTypes).toMatchObject({ value: ['invoice'], detail: 'incomplete: invoice; the service reads every answer' });
  });

  it('a paginated list: the report says the plain list is not the whole account', async () => {
    sandbox.setVariants({ pageSize: 1 });
    const report = await probeSandbox();
    expect(report.sequencesListed).toBe(1);
    expect(report.findings.paginationObject.detail).toContain('NOT the whole account');
  });

  it('reports Retry-After when it appears, and what it could not check', async () => {
    sandbox.addFault({ fault: { kind: 'status', status: 429, retryAfterSeconds: 7 }, operations: ['get'], times: 1 });
    const report = await probeSandbox();
    expect(report.findings.rateLimitHeaders).toMatchObject({ value: ['retry-after'], detail: 'retry-after: 7' });
    expect(report.findings.singleKey).toMatchObject({ value: null, detail: expect.stringContaining('answered 429') as unknown });
  });

  it('an empty account: the list-dependent unknowns stay unknown', async () => {
    sandbox.seedAccount('empty');
    const report = await probeSandbox();
    expect(valuesOf(report)).toMatchObject({ singleKey: null, listCurrentFields: null, pageParameters: null, getCurrentFields: null });
    expect(sandbox.requests.map((request) => request.path)).toEqual(['/sequences.json', '/sequences/0.json']);
  });

  it('states what it never probes: the wrong-key body and the answers of writes', async () => {
    const report = await probeSandbox();
    expect(report.findings.wrongKeyBody.detail).toMatch(/not probed: .*second, wrong key/);
    expect(report.findings.writeAnswers.detail).toMatch(/not probed: .*never writes/);
    expect(report.findings.createMakesDefault.value).toBeNull();
    expect(report.findings.createMakesDefault.detail).toMatch(/not probed: .*puts the previous default back/);
    expect(formatReport(report)).toMatch(/create makes default +\? +not probed/);
  });
});

describe('what the probe makes of answers the sandbox cannot give', () => {
  const response = (path: string, status: number, body: unknown, headers: Record<string, string> = {}): ProbeResponse => ({
    path,
    status,
    headers: new Headers(headers),
    text: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const sequence = {
    id: 1,
    serie: 2017,
    default_sequence: true,
    current_invoice_number: 0,
    current_invoice_sequence_id: 1,
    current_purchase_order_number: '0',
    current_purchase_order_sequence_id: '9',
  };

  it('extra document types, X-RateLimit-* headers, a numeric serie, a JSON 404, a bare get', () => {
    const report = analyse('https://acme.example', {
      list: response('/sequences.json', 200, { sequences: [sequence] }, { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '99' }),
      get: response('/sequences/1.json', 200, sequence, { 'ratelimit-policy': '100;w=60' }),
      pages: [
        response('/sequences.json?page=1&per_page=1', 200, { sequences: [sequence] }),
        response('/sequences.json?page=2&per_page=1', 200, { sequences: [] }),
      ],
      notFound: response('/sequences/0.json', 404, { errors: [{ error: 'Not found' }] }),
    });
    expect(valuesOf(report)).toMatchObject({
      singleKey: 'bare',
      documentTypes: ['purchase_order'],
      rateLimitHeaders: ['ratelimit-policy', 'x-ratelimit-limit', 'x-ratelimit-remaining'],
      serieType: 'number',
      defaultSequence: 'boolean',
      numbersAsStrings: 'mixed',
      notFoundBody: 'json',
      pageParameters: 'honoured',
    });
    expect(report.findings.documentTypes.detail).toContain('documented but not seen: invoice_receipt');
    // No validation codes at all (as before ATCUD): every type is incomplete, read all the same.
    expect(report.findings.incompleteTypes).toMatchObject({
      value: ['invoice', 'purchase_order'],
      detail: expect.stringContaining('the service reads every answer') as unknown,
    });
  });

  it('reads a list in every envelope the service reads: under "sequence", or one object', () => {
    for (const list of [{ sequence: [sequence] }, { sequences: sequence }, [sequence]]) {
      const report = analyse('https://acme.example', { list: response('/sequences.json', 200, list), notFound: response('/sequences/0.json', 404, '') });
      expect(report.sequencesListed).toBe(1);
    }
  });

  it('names what the service cannot read: a sequence without a serie', () => {
    const noSerie = { id: 2, default_sequence: 0, current_invoice_number: 1 };
    const report = analyse('https://acme.example', {
      list: response('/sequences.json', 200, { sequences: [sequence, noSerie] }),
      notFound: response('/sequences/0.json', 404, ''),
    });
    expect(report.findings.incompleteTypes.detail).toMatch(/the service cannot read 1 \(so refuses the whole list\): serie: /);
  });
});

// ---------------------------------------------------------------------------------------------
// The command line

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function probe(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      NODE,
      ['local/probe/cli.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env }, timeout: 15_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

const sandboxEnv = (): Record<string, string> => ({ IX_BASE_URL: sandbox.url, IX_API_KEY: API_KEY });

describe('npm run probe', () => {
  it('prints a human-readable report (exit 0), never the key, and sends only GETs', async () => {
    const run = await probe([], sandboxEnv());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`InvoiceXpress probe of ${sandbox.url}: 5 GET requests, nothing written`);
    expect(run.stdout).toMatch(/single-sequence key +sequences/);
    expect(run.stdout + run.stderr).not.toContain(API_KEY);
    expect(sandbox.requests.length).toBe(5);
    expect(sandbox.requests.every((request) => request.method === 'GET')).toBe(true);
  });

  it('--json prints the report as JSON', async () => {
    sandbox.setVariants({ currentFields: 'not_in_list' });
    const run = await probe(['--json'], sandboxEnv());
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as ProbeReport;
    expect(Object.keys(report.findings)).toEqual([...FINDING_IDS]);
    expect(report.findings.listCurrentFields.value).toBe('none');
    expect(report.requests.every((request) => request.method === 'GET')).toBe(true);
  });

  describe('--secret-id', () => {
    let secrets: LocalSecretsManager;
    beforeAll(async () => {
      secrets = await startLocalSecretsManager({
        secretName: 'ix-sequences/dev',
        secretString: JSON.stringify({ accountName: 'probe-account', apiKey: API_KEY }),
      });
    });
    afterAll(async () => {
      await secrets.close();
    });
    const awsEnv = (): Record<string, string> => ({
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      IX_BASE_URL: sandbox.url,
    });

    it("reads the account and key from the service's secret", async () => {
      secrets.failWith(undefined);
      const run = await probe(['--secret-id', 'ix-sequences/dev'], awsEnv());
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('5 GET requests');
      expect(run.stdout).not.toContain(API_KEY);
    });

    it('a secret that cannot be read: one line, exit 1', async () => {
      secrets.failWith('ResourceNotFoundException');
      const run = await probe(['--secret-id', 'ix-sequences/nope'], awsEnv());
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^probe: could not read the secret "ix-sequences\/nope": ResourceNotFoundException/),
      ]);
      expect(sandbox.requests).toHaveLength(0);
    });
  });

  it('a wrong key: one line, exit 1, the key not printed', async () => {
    const run = await probe([], { IX_BASE_URL: sandbox.url, IX_API_KEY: 'k-probe-wrong-5d2e' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('probe: InvoiceXpress refused the key (401): check the account name and the API key');
    expect(run.stdout + run.stderr).not.toContain('k-probe-wrong-5d2e');
  });

  it('an account that cannot be reached: one line, exit 1', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    await new Promise((resolve) => closed.close(resolve));
    const port = typeof address === 'object' && address ? address.port : 0;
    const run = await probe([], { IX_BASE_URL: `http://127.0.0.1:${String(port)}`, IX_API_KEY: API_KEY });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`probe: could not reach http://127.0.0.1:${String(port)} (GET /sequences.json): ECONNREFUSED`);
  });

  it.each([
    ['no account at all', [], {}, 'set IX_ACCOUNT_NAME and IX_API_KEY'],
    ['a key without an account or URL', [], { IX_API_KEY: API_KEY }, 'IX_ACCOUNT_NAME is required'],
    ['an unknown option', ['--write'], { IX_ACCOUNT_NAME: 'acme', IX_API_KEY: API_KEY }, "Unknown option '--write'"],
    ['a base URL with a query', [], { IX_BASE_URL: 'http://127.0.0.1:1/?x=1', IX_API_KEY: API_KEY }, 'IX_BASE_URL'],
    ['a secret id and a key', ['--secret-id', 'x'], { IX_API_KEY: API_KEY }, 'not both'],
  ])('bad usage (%s): exit 2 with the usage', async (_name, args, env, message) => {
    const run = await probe(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Usage: npm run probe');
    expect(run.stderr).not.toContain(API_KEY);
  });
});
