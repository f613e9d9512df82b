import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox } from '../../sandbox/types.ts';
import type { RolloverResult } from '../../shared/rollover/result.ts';

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

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: API_KEY, accountName: 'cli-account' });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
});

const account = (): Record<string, string> => ({ IX_ACCOUNT_NAME: 'cli-account', IX_API_KEY: API_KEY, IX_BASE_URL: sandbox.url });

describe('rollover CLI', () => {
  it('runs against the in-process sandbox by default, printing steps and the result', async () => {
    const run = await cli(['--phase', 'prepare', '--year', '2027']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('built-in InvoiceXpress sandbox');
    expect(run.stdout).toContain('not persisted');
    expect(run.stdout).toContain("[done] create '2027'");
    expect(run.stdout).toContain("[done] verify '2027'");
    expect(resultOf(run.stdout)).toMatchObject({ outcome: 'ready', serie: '2027', year: 2027, phase: 'prepare' });
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

  it('uses a real account when IX_ACCOUNT_NAME and IX_API_KEY are set, never printing the key', async () => {
    const run = await cli(['--phase', 'activate', '--year', '2027'], account());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('InvoiceXpress account "cli-account"');
    expect(run.stdout).toContain('changes are REAL');
    expect(run.stdout + run.stderr).not.toContain(API_KEY);
    expect(resultOf(run.stdout).outcome).toBe('activated');
    // The changes happened in that account (the test's sandbox), not in an in-process one.
    expect(sandbox.sequences().find((sequence) => sequence.default_sequence === 1)?.serie).toBe('2027');

    const again = await cli(['--phase', 'activate', '--year', '2027'], account());
    expect(again.code).toBe(0);
    expect(resultOf(again.stdout).outcome).toBe('already_done');
  });

  it('exits 1 when the rollover fails, showing AT words', async () => {
    sandbox.setAt({ onCreate: 'pending', onRegister: 'reject', rejectMessage: 'AT recusou (cli)' });
    const run = await cli(['--phase', 'prepare', '--year', '2027'], account());
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("[FAIL] register '2027'");
    expect(run.stdout).toContain('AT recusou (cli)');
    expect(resultOf(run.stdout).outcome).toBe('failed');
    expect(run.stdout + run.stderr).not.toContain(API_KEY);
  });

  it('refuses half a real-account configuration and invalid settings (exit 2)', async () => {
    const [half, bad] = await Promise.all([
      cli(['--phase', 'prepare'], { IX_ACCOUNT_NAME: 'x' }),
      cli(['--phase', 'prepare'], { SERIE_TEMPLATES: 'AT{year}' }),
    ]);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('IX_API_KEY');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('SERIE_TEMPLATES');
  });
});
