import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { yearIn } from '../../shared/rollover/time.ts';
import { useStackBehindProxy } from '../client/capture-proxy.ts';
import { ENVIRONMENT_ONLY_CREDENTIALS, runProcess } from '../support/child-process.ts';
import type { ProcessOutcome } from '../support/child-process.ts';

/**
 * `npm run smoke -- --url`: the command as a process, against what `npm start` runs (through a
 * capture proxy that records what reached the gateway) and against a port where nothing listens.
 */

const ROOT = new URL('../../', import.meta.url);
const NODE = `${ROOT.pathname}node_modules/.bin/node`;
const local = useStackBehindProxy();
const comingYear = yearIn(new Date(), 'Europe/Lisbon') + 1;

function smoke(args: string[]): Promise<ProcessOutcome> {
  return runProcess(NODE, ['local/smoke.ts', ...args], {
    cwd: ROOT,
    env: {
      AWS_REGION: 'eu-west-1',
      // The default credential chain, fed by the environment only (the local gateway does not verify).
      AWS_ACCESS_KEY_ID: 'AKIDSMOKETEST',
      AWS_SECRET_ACCESS_KEY: 'smoke-test-secret',
      ...ENVIRONMENT_ONLY_CREDENTIALS,
    },
  });
}

/** A loopback port nobody listens on (taken, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const checkLines = (stdout: string) => stdout.split('\n').filter((line) => /^(ok {2}|FAIL) /.test(line));

describe('npm run smoke -- --url', () => {
  it('passes against npm start, one line per check, with signed GET requests only', async () => {
    const run = await smoke(['--url', local.proxy.url]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(checkLines(run.stdout)).toEqual([
      expect.stringMatching(/^ok {3}api answers +GET \/rollover\/runs\/\{runId\} answered 404 not_found/),
      expect.stringMatching(/^ok {3}GET \/sequences +sequences: 1, default serie "2022"$/),
      expect.stringMatching(new RegExp(`^ok {3}GET /rollover/${String(comingYear)} +${String(comingYear)}: no serie yet`)),
    ]);
    expect(run.stdout).toContain('smoke passed: 3 checks');
    // Read-only: nothing but GETs reached the gateway, each signed with the environment's key.
    const requests = local.proxy.requests;
    expect(requests.length).toBeGreaterThanOrEqual(3);
    for (const request of requests) {
      expect(request.method).toBe('GET');
      expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDSMOKETEST\/\d{8}\/eu-west-1\/execute-api\/aws4_request/);
    }
  });

  it("reports the coming year's serie once it exists", async () => {
    local.stack.sandbox.setAt({ onCreate: 'register' });
    const created = await fetch(`${local.stack.url}/sequences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ serie: String(comingYear) }),
    });
    expect(created.status).toBe(201);
    const run = await smoke(['--url', local.proxy.url]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`ok {3}GET /rollover/${String(comingYear)} +${String(comingYear)}: serie "${String(comingYear)}" exists, registered, not the default`),
    );
  });

  it('fails, naming the checks, when InvoiceXpress refuses the key', async () => {
    local.stack.sandbox.addFault({ fault: { kind: 'status', status: 401 } });
    const run = await smoke(['--url', local.proxy.url]);
    expect(run.status).toBe(1);
    const lines = checkLines(run.stdout);
    expect(lines[0]).toMatch(/^ok {3}api answers/);
    expect(lines[1]).toMatch(/^FAIL GET \/sequences +listSequences: 5\d\d /);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(`smoke FAILED: GET /sequences, GET /rollover/${String(comingYear)}`);
  });

  it('fails against a URL where nothing listens', async () => {
    const run = await smoke(['--url', `http://127.0.0.1:${String(await deadPort())}`]);
    expect(run.status).toBe(1);
    const lines = checkLines(run.stdout);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^FAIL .*network_error: the API could not be reached \(connect ECONNREFUSED/);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(`smoke FAILED: api answers, GET /sequences, GET /rollover/${String(comingYear)}`);
  });

  it('refuses a command line without exactly one of --stage and --url (exit 2)', async () => {
    for (const args of [[], ['--url', 'http://127.0.0.1:1', '--stage', 'dev'], ['--bogus']]) {
      const run = await smoke(args);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('Usage: npm run smoke');
    }
  });

  it('names an unknown stage without calling anything', async () => {
    const run = await smoke(['--stage', 'nope']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^smoke FAILED: Unknown stage "nope"/);
  });
});
