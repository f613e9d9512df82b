import ky from 'ky';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox, SandboxFault, SandboxOperation } from '../../sandbox/types.ts';
import { createInvoiceXpressClient } from '../../shared/invoicexpress/client.ts';
import type { InvoiceXpressClient, InvoiceXpressClientOptions } from '../../shared/invoicexpress/types.ts';
import { captureOutput, findSecret, secretNeedles } from './secret-scan.ts';
import { closedPortUrl } from '../support/failures.ts';

/**
 * THE SECRET-REDACTION TEST. With a distinctive key, drive every failure path the client has and
 * deep-scan everything thrown (message, stack, cause chain, every own property, JSON and
 * util.inspect renderings) and everything written to console/stdout/stderr.
 */

const SECRET = 'SECRET-KEY-123';
// A key with characters that change under URL encoding, to check the encoded forms too.
const SECRET_ENCODED = 'SECRET/KEY+456=&?é';
const ALL_NEEDLES = [...secretNeedles(SECRET), ...secretNeedles(SECRET_ENCODED)];

let sandbox: Sandbox;
let encodedSandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: SECRET });
  encodedSandbox = await startSandbox({ apiKey: SECRET_ENCODED });
});
afterAll(async () => {
  await sandbox.close();
  await encodedSandbox.close();
});

type Call = (ix: InvoiceXpressClient) => Promise<unknown>;
const EVERY_CALL: [SandboxOperation, Call][] = [
  ['list', (ix) => ix.list()],
  ['get', (ix) => ix.get(146090)],
  ['create', (ix) => ix.create({ serie: `R${String(Date.now())}`, isDefault: false })],
  ['register', (ix) => ix.register(146090)],
  ['set_current', (ix) => ix.setCurrent(146090)],
];

// Bodies that echo the key back, as a careless upstream or proxy might.
const echo = (key: string) => [
  `{"errors":[{"error":"bad key ${key} for https://acme.app.invoicexpress.com/sequences.json?api_key=${encodeURIComponent(key)}"}]}`,
  `<html><body>GET /sequences.json?api_key=${key}</body></html>`,
  `{"message":"api_key=${key}"}`,
];

function faultsFor(key: string): SandboxFault[] {
  return [
    { kind: 'status', status: 400 },
    { kind: 'status', status: 404, body: ' ' },
    { kind: 'status', status: 406 },
    { kind: 'status', status: 409 },
    { kind: 'status', status: 429 },
    { kind: 'status', status: 429, retryAfterSeconds: 120 },
    { kind: 'status', status: 500 },
    { kind: 'status', status: 502, body: '<html>Bad gateway</html>' },
    { kind: 'status', status: 503, retryAfterSeconds: 0 },
    { kind: 'status', status: 504 },
    { kind: 'status', status: 302 },
    ...echo(key).flatMap((body): SandboxFault[] => [
      { kind: 'status', status: 422, body },
      { kind: 'status', status: 401, body },
      { kind: 'status', status: 500, body },
    ]),
    { kind: 'hang' },
    { kind: 'drop_response' },
    { kind: 'malformed', body: 'not json' },
    { kind: 'malformed', body: `{"sequences":{"id":"${key}"}}` },
    { kind: 'malformed', body: `{"sequences":[{"id":1,"serie":"${key}","default_sequence":"${key}"}]}` },
    { kind: 'malformed', body: `{"sequences":[],"pagination":{"total_pages":"${key}"}}` },
  ];
}

describe('the API key never leaks', () => {
  it('the scanner has teeth: a raw ky error with the key in its URL is caught', async () => {
    sandbox.reset();
    let raw: unknown;
    try {
      await ky.get(`${sandbox.url}/sequences/999999.json`, { searchParams: { api_key: SECRET }, retry: 0 });
    } catch (error) {
      raw = error;
    }
    expect(raw).toBeDefined();
    expect(findSecret(raw, ALL_NEEDLES).length).toBeGreaterThan(0);
  });

  it('is absent from everything thrown and printed, on every failure path', { timeout: 60_000 }, async () => {
    const thrown: unknown[] = [];
    const output = captureOutput();
    const collect = async (promise: Promise<unknown>): Promise<void> => {
      try {
        await promise;
        thrown.push(new Error('unexpected success'));
      } catch (error) {
        thrown.push(error);
      }
    };
    try {
      for (const [target, key] of [
        [sandbox, SECRET],
        [encodedSandbox, SECRET_ENCODED],
      ] as const) {
        const base: InvoiceXpressClientOptions = {
          accountName: target.accountName,
          apiKey: key,
          baseUrl: target.url,
          timeoutMs: 80,
          totalTimeoutMs: 2000,
          retry: { limit: 1, baseDelayMs: 1, maxDelayMs: 5 },
          onAttempt: (attempt) => console.log('attempt', attempt),
        };
        const ix = createInvoiceXpressClient(base);

        // Every fault on every operation.
        for (const fault of faultsFor(key)) {
          for (const [operation, call] of EVERY_CALL) {
            // register/set_current ignore 2xx bodies by design: a malformed 200 is a success there.
            if (fault.kind === 'malformed' && (operation === 'register' || operation === 'set_current')) continue;
            target.reset();
            target.addFault({ fault, operations: [operation] });
            await collect(call(ix));
          }
        }
        target.reset();

        // Real state errors: wrong key (401), unknown id (404), taken serie, AT refusal (422).
        await collect(createInvoiceXpressClient({ ...base, apiKey: `${key}-wrong` }).list());
        await collect(ix.get(999_999));
        await collect(ix.create({ serie: '2022', isDefault: false }));
        target.setAt({ onCreate: 'pending', onRegister: 'reject', rejectMessage: `AT says no to ${key}` });
        const created = await ix.create({ serie: `REJ${String(Date.now())}`, isDefault: false });
        await collect(ix.register(created.id));
        target.reset();

        // Rate limit of the sandbox itself.
        target.setRateLimit(1);
        await collect(ix.list().then(() => ix.list()));
        target.reset();

        // Total budget, network, and bad input.
        target.addFault({ fault: { kind: 'hang' } });
        await collect(createInvoiceXpressClient({ ...base, timeoutMs: 1000, totalTimeoutMs: 100 }).list());
        target.reset();
        await collect(createInvoiceXpressClient({ ...base, baseUrl: await closedPortUrl() }).get(1));
        await collect(createInvoiceXpressClient({ ...base, baseUrl: 'http://nonexistent.invalid' }).get(1));
        await collect(ix.get(-1));
        await collect(ix.create({ serie: '', isDefault: false }));
        await collect(Promise.resolve().then(() => createInvoiceXpressClient({ ...base, baseUrl: `http://x/?api_key=${key}` })));
        await collect(Promise.resolve().then(() => createInvoiceXpressClient({ ...base, timeoutMs: -1 })));
      }
    } finally {
      output.stop();
    }

    expect(thrown.length).toBeGreaterThan(200);
    const leaks = thrown.flatMap((error, index) => findSecret(error, ALL_NEEDLES).map((where) => `#${String(index)} ${where}`));
    expect(leaks).toEqual([]);
    const printed = output.text();
    expect(printed).toContain('attempt'); // the observer did print
    for (const needle of ALL_NEEDLES) expect(printed).not.toContain(needle);
    // Nothing unexpected succeeded, and every failure is typed (bad input is a plain TypeError/RangeError).
    for (const error of thrown) {
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).not.toBe('unexpected success');
      expect(Object.hasOwn(error as object, 'cause')).toBe(false);
    }
  });
});
