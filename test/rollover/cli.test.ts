import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalDynamo } from '../../local/dynamodb.ts';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox } from '../../sandbox/types.ts';
import type { RolloverResult } from '../../shared/rollover/result.ts';
import { createRunTable } from '../../shared/rollover/run-table.ts';
import { newRunId } from '../../shared/rollover/run-store.ts';
import { yearIn } from '../../shared/rollover/time.ts';

/** The CLI as users run it: a separate Node 24 process, checked by its output and exit code. */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = `${ROOT}node_modules/.bin/node`;
const API_KEY = 'cli-test-key-never-printed';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      NODE,
      ['local/rollover-cli.ts', ...args],
      // A clean environment: no IX_* leaking in from the developer's shell.
      { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env }, timeout: 15_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The result JSON is the last thing printed, starting at a line that is just "{". */
function resultOf(stdout: string): RolloverResult {
  const start = stdout.lastIndexOf('\n{\n');
  return JSON.parse(stdout.slice(start + 1)) as RolloverResult;
}

/** Years a real run may change today (Lisbon): the tests hold whatever the date. */
const NOW = yearIn(new Date());
const NEXT = String(NOW + 1);

let sandbox: Sandbox;
let dynamo: LocalDynamo;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: API_KEY, accountName: 'cli-account' });
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await Promise.all([sandbox.close(), dynamo.close()]);
});
beforeEach(() => {
  sandbox.reset();
});

const account = (): Record<string, string> => ({ IX_ACCOUNT_NAME: 'cli-account', IX_API_KEY: API_KEY, IX_BASE_URL: sandbox.url });
/** The deployed stage's run table, as an operator's AWS credentials would reach it (here: dynalite). */
const table = (): Record<string, string> => ({
  ROLLOVER_TABLE_NAME: dynamo.tableName,
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
});

describe('rollover CLI', () => {
  it('runs against the in-process sandbox by default, printing steps and the result', async () => {
    const run = await cli(['--phase', 'prepare', '--year', NEXT]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('built-in InvoiceXpress sandbox');
    expect(run.stdout).toContain('not persisted');
    expect(run.stdout).toContain(`[done] create '${NEXT}'`);
    expect(run.stdout).toContain(`[done] verify '${NEXT}'`);
    expect(resultOf(run.stdout)).toMatchObject({ outcome: 'ready', serie: NEXT, year: NOW + 1, phase: 'prepare' });
  });

  it('a dry run prints planned steps', async () => {
    const run = await cli(['--phase', 'activate', '--year', '2030', '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("[plan] create '2030'");
    expect(run.stdout).toContain("[plan] set_current '2030'");
    expect(resultOf(run.stdout)).toMatchObject({ dryRun: true, serie: '2030' });
  });

  it('bad arguments: usage on stderr, exit 2', async () => {
    const cases = [
      [],
      ['--phase', 'later'],
      ['--phase', 'prepare', '--year', 'next'],
      ['--phase', 'prepare', '--year', '1999'],
      ['--phase', 'prepare', '--force'],
      ['--phase', 'prepare', 'extra'],
    ];
    // In parallel: each is a separate process start (~0.5 s).
    const runs = await Promise.all(cases.map((args) => cli(args)));
    runs.forEach((run, index) => {
      expect({ args: cases[index], code: run.code, usage: run.stderr.includes('Usage: npm run rollover'), stdout: run.stdout }).toEqual({
        args: cases[index],
        code: 2,
        usage: true,
        stdout: '',
      });
    });
  });

  it('--help prints usage and exits 0', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--dry-run');
  });

  it("uses a real account when IX_ACCOUNT_NAME and IX_API_KEY are set, with the stage's run table, never printing the key", async () => {
    const run = await cli(['--phase', 'activate', '--year', String(NOW)], { ...account(), ...table() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('InvoiceXpress account "cli-account"');
    expect(run.stdout).toContain('changes are REAL');
    expect(run.stdout + run.stderr).not.toContain(API_KEY);
    const result = resultOf(run.stdout);
    expect(result.outcome).toBe('activated');
    // The changes happened in that account (the test's sandbox), not in an in-process one.
    expect(sandbox.sequences().find((sequence) => sequence.default_sequence === 1)?.serie).toBe(String(NOW));
    // On record in the stage's table, with who ran it.
    const record = await createRunTable({ tableName: dynamo.tableName, client: dynamo.client }).getRun('cli-account', result.runId ?? '');
    expect(record).toMatchObject({ trigger: 'cli', status: 'finished', outcome: 'activated' });
    expect(record?.caller).toMatch(/^cli:.+@.+$/);

    const again = await cli(['--phase', 'activate', '--year', String(NOW)], { ...account(), ...table() });
    expect(again.code).toBe(0);
    expect(resultOf(again.stdout).outcome).toBe('already_done');
  });

  it('a real account without the run table: refused (exit 2) unless --dry-run, verify or --no-lock', async () => {
    const refused = await cli(['--phase', 'prepare', '--year', NEXT], account());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('ROLLOVER_TABLE_NAME');
    expect(sandbox.requests).toHaveLength(0);
    const dry = await cli(['--phase', 'prepare', '--year', NEXT, '--dry-run'], account());
    expect(dry.code).toBe(0);
    const unlocked = await cli(['--phase', 'prepare', '--year', NEXT, '--no-lock'], account());
    expect(unlocked.code).toBe(0);
    expect(unlocked.stdout).toContain('WITHOUT the shared lock');
  });

  it('another run holding the lock: says who, changes nothing, exit 3', async () => {
    const store = createRunTable({ tableName: dynamo.tableName, client: dynamo.client });
    const key = { account: 'cli-account', year: NOW + 1 };
    const runId = newRunId(NOW + 1, new Date());
    await store.acquire(
      key,
      { runId, trigger: 'schedule', caller: 'ix-sequences-prod-prepare', phase: 'prepare', acquiredAt: new Date().toISOString() },
      60_000,
    );
    try {
      const run = await cli(['--phase', 'prepare', '--year', NEXT], { ...account(), ...table() });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(runId);
      expect(run.stderr).toContain('ix-sequences-prod-prepare');
      expect(sandbox.requests).toHaveLength(0);
    } finally {
      await store.release(key, runId);
    }
  });

  it('a year that is neither this one nor the next: exit 2 before any call; a dry run may name it', async () => {
    const run = await cli(['--phase', 'prepare', '--year', String(NOW + 3)], { ...account(), ...table() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`may only work on ${String(NOW)} or ${String(NOW + 1)}`);
    expect(sandbox.requests).toHaveLength(0);
    expect((await cli(['--phase', 'prepare', '--year', String(NOW + 3), '--dry-run'], account())).code).toBe(0);
  });

  it('exits 1 when the rollover fails, showing AT words', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    sandbox.addFault({ fault: { kind: 'status', status: 422, body: JSON.stringify({ errors: [{ error: 'AT recusou (cli)' }] }) }, operations: ['register'] });
    const run = await cli(['--phase', 'prepare', '--year', NEXT], { ...account(), ...table() });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`[FAIL] register '${NEXT}'`);
    expect(run.stdout).toContain('AT recusou (cli)');
    expect(resultOf(run.stdout).outcome).toBe('failed');
    expect(run.stdout + run.stderr).not.toContain(API_KEY);
  });

  it('refuses half a real-account configuration, IX_BASE_URL alone and invalid settings (exit 2)', async () => {
    const [half, urlOnly, bad] = await Promise.all([
      cli(['--phase', 'prepare'], { IX_ACCOUNT_NAME: 'x' }),
      cli(['--phase', 'prepare'], { IX_BASE_URL: sandbox.url }),
      cli(['--phase', 'prepare'], { SERIE_TEMPLATES: 'AT{year}' }),
    ]);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('IX_API_KEY');
    expect(urlOnly.code).toBe(2);
    expect(urlOnly.stderr).toContain('IX_BASE_URL needs IX_ACCOUNT_NAME and IX_API_KEY');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('SERIE_TEMPLATES');
  });
});
