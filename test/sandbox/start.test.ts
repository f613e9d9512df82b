import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeableYears } from '../../shared/rollover/time.ts';

/**
 * `npm start` (local/start.ts in a child process) as a newcomer meets it: bad or busy ports are
 * one line and a non-zero exit, and the commands its banner prints run as pasted.
 */

const NEXT_YEAR = String(changeableYears(new Date())[1]);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = `${ROOT}node_modules/.bin/node`;
const cleanEnv = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' };

function startFails(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(NODE, ['local/start.ts'], { cwd: ROOT, env: { ...cleanEnv, ...env }, timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('npm start with a bad or busy port', () => {
  let busy: Server;
  let busyPort = '';
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const address = busy.address();
    busyPort = typeof address === 'object' && address ? String(address.port) : '';
  });
  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
  });

  it.each([
    ['PORT', 'abc', 2, 'PORT must be a port number'],
    ['SANDBOX_PORT', '70000', 2, 'SANDBOX_PORT must be a port number'],
    ['PORT', 'busy', 1, 'is already in use'],
    ['SANDBOX_PORT', 'busy', 1, 'is already in use'],
    ['LOCAL_ACCOUNTS', '2001', 2, 'LOCAL_ACCOUNTS must be a whole number from 0 to 2000'],
    ['WORKER_CONCURRENCY', '0', 2, 'WORKER_CONCURRENCY must be a whole number from 1 to 100'],
  ])('%s=%s: one line naming the variable, exit %i, no stack trace', async (variable, value, exitCode, message) => {
    const port = value === 'busy' ? busyPort : value;
    const other: Record<string, string> = variable === 'PORT' ? { SANDBOX_PORT: '0' } : { PORT: '0' };
    const run = await startFails({ ...other, [variable]: port });
    expect(run.code).toBe(exitCode);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${variable}`);
    expect(lines[0]).toContain(message);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stdout).toBe('');
  });
});

describe("npm start's banner", () => {
  let child: ChildProcess;
  let banner = '';

  beforeAll(async () => {
    child = spawn(NODE, ['local/start.ts'], {
      cwd: ROOT,
      env: { ...cleanEnv, PORT: '0', SANDBOX_PORT: '0', LOCAL_ACCOUNTS: '3', POWERTOOLS_LOG_LEVEL: 'ERROR' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    banner = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error('npm start printed no banner')), 15_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('One JSON log line per request follows.')) {
          clearTimeout(timer);
          resolve(output);
        }
      });
    });
  });
  afterAll(() => {
    child.kill('SIGTERM');
  });

  /** The command lines, as a person would paste them. */
  const commands = (): string[] =>
    banner
      .split('\n')
      .filter((line) => /^ {2}(curl |id=)/.test(line))
      .map((line) => line.trim());

  /** Runs every command in one bash, in order; each command's output, by command. */
  function runAll(lines: string[]): Promise<Map<string, string>> {
    const script = lines.map((line, index) => `printf '\\n@@@${String(index)}\\n'; ${line}`).join('\n');
    return new Promise((resolve, reject) => {
      execFile('bash', ['-c', script], { timeout: 30_000 }, (error, stdout) => {
        if (error) return reject(new Error(`bash exited with ${String(error.code)}`));
        const outputs = new Map<string, string>();
        for (const part of stdout.split('\n@@@').slice(1)) {
          const newline = part.indexOf('\n');
          outputs.set(lines[Number(part.slice(0, newline))] ?? '', part.slice(newline + 1));
        }
        resolve(outputs);
      });
    });
  }

  it("names the sandbox's URL, its key and the seeded sequence's real id; no placeholders", () => {
    expect(banner).toMatch(/InvoiceXpress sandbox: +http:\/\/127\.0\.0\.1:\d+ +account "sandbox", api_key "sandbox-api-key"/);
    expect(banner).toContain('"2022" (id 146090)');
    expect(commands().join('\n')).not.toMatch(/<[a-z]+>/i);
    expect(commands().some((line) => line.includes('/_sandbox/'))).toBe(true);
  });

  it('every printed command works as pasted: read, create → register → set_current, rollover, sandbox control, many accounts', async () => {
    const lines = commands();
    expect(lines.length).toBeGreaterThanOrEqual(9);
    const outputs = await runAll(lines);
    const outputOf = (fragment: string): string => {
      const line = lines.find((candidate) => candidate.includes(fragment));
      expect(line, `a printed command contains ${fragment}`).toBeDefined();
      return outputs.get(line ?? '') ?? '';
    };
    const json = (fragment: string): Record<string, unknown> => JSON.parse(outputOf(fragment)) as Record<string, unknown>;

    expect(json('/sequences/146090')).toMatchObject({ sequence: { id: 146090, serie: '2022' } });
    const id = Number(/created sequence (\d+)/.exec(outputOf('id=$('))?.[1]);
    expect(id).toBeGreaterThan(0);
    expect(json('/register')).toMatchObject({ sequence: { id, serie: '2027', registered: true } });
    expect(json('/set_current')).toMatchObject({ sequence: { id, serie: '2027', isDefault: true } });
    expect(json('/rollover -H')).toMatchObject({ dryRun: true });
    expect(json('/_sandbox/at')).toMatchObject({ at: { onCreate: 'pending', rejectSeries: [NEXT_YEAR] } });
    // The rehearsal works on the day it is run: the year is the next one where the rollover decides years.
    const rehearsal = json(`-d '{"phase":"prepare","year":${NEXT_YEAR}}'`);
    expect(rehearsal).toMatchObject({ outcome: 'ready', serie: `${NEXT_YEAR}B`, fallback: { from: NEXT_YEAR } });
    const state = json('/_sandbox/state') as { sequences: { serie: string; default_sequence: number }[] };
    expect(state.sequences.map((s) => s.serie)).toEqual(['2022', NEXT_YEAR, `${NEXT_YEAR}B`]);
    expect(state.sequences.filter((s) => s.default_sequence === 1).map((s) => s.serie)).toEqual(['2022']);

    // Many accounts: shop-a registered besides the three of LOCAL_ACCOUNTS=3, and a prepare for all four through the worker.
    expect(banner).toContain('3 registered at start (LOCAL_ACCOUNTS: acct-001 … acct-003)');
    expect(json('/accounts/shop-a -H')).toMatchObject({ created: true, account: { account: 'shop-a', enabled: true } });
    expect(json('/accounts/shop-a/sequences')).toMatchObject({ sequences: [{ serie: '2022', isDefault: true }] });
    expect(json('/rollover/dispatch')).toMatchObject({ phase: 'prepare', accounts: 4 });
    const api = /local API: (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1] ?? '';
    let counts: Record<string, number> = {};
    for (let poll = 0; poll < 100 && counts['ready'] !== 4; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      counts = ((await fetch(`${api}/rollover/${NEXT_YEAR}/accounts`).then((response) => response.json())) as { counts: Record<string, number> }).counts;
    }
    expect(counts).toEqual({ ready: 4, activated: 0, failed: 0, not_started: 0 });
  });

  it("the printed rollover CLI line works on npm start's sandbox and run table: its run is on npm start's record", async () => {
    const line =
      banner
        .split('\n')
        .find((candidate) => candidate.includes('npm run rollover'))
        ?.trim() ?? '';
    expect(line).toMatch(/^IX_ACCOUNT_NAME=sandbox IX_API_KEY=sandbox-api-key IX_BASE_URL=http:\/\/127\.0\.0\.1:\d+ .* npm run rollover -- /);
    const output = await new Promise<string>((resolve, reject) => {
      execFile('bash', ['-c', line], { cwd: ROOT, env: cleanEnv, timeout: 30_000 }, (error, stdout, stderr) => {
        if (error) return reject(new Error(`the CLI exited with ${String(error.code)}: ${stderr}`));
        resolve(stdout);
      });
    });
    const runId = /run (\d{4}-\d{8}T\d{9}Z-[a-z0-9]{6})/.exec(output)?.[1];
    expect(output).toContain(`at ${/IX_BASE_URL=(\S+)/.exec(line)?.[1] ?? 'missing'}`);
    const api = /local API: (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1] ?? '';
    const status = (await fetch(`${api}/rollover/${NEXT_YEAR}`).then((response) => response.json())) as { runs: { runId: string; trigger: string }[] };
    expect(status.runs).toContainEqual(expect.objectContaining({ runId, trigger: 'cli' }));
  });
});
