import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_SPECS } from '../../infra/ix-sequences-stack.ts';
import { CHANGE_VARIANTS } from '../../bench/variants.ts';

/**
 * Keeps `npm run bench` working: its quick mode (one round, few warm requests) runs end to end and
 * writes a complete report. No timing is asserted: the figures of a quick run mean little.
 */

const ROOT = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ix-sequences-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runBench(out: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/run.ts', '--quick', '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr: Buffer.concat(stderr).toString('utf8') }));
  });
}

/** The markdown table row whose first cell is `label`, split into cells. */
function rowOf(report: string, label: string): string[] | undefined {
  const line = report.split('\n').find((candidate) => candidate.startsWith(`| ${label} |`));
  return line
    ?.split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());
}

const isTime = (cell: string | undefined): boolean => /^\d+\.\d ms$/.test(cell ?? '');
const isRatio = (cell: string | undefined): boolean => /^\d+\.\d\d×$/.test(cell ?? '');

describe('npm run bench -- --quick', () => {
  const out = join(dir, 'benchmarks.md');
  let report = '';

  it('runs every variant and writes the report', async () => {
    const { code, stderr } = await runBench(out);
    expect(code, stderr.slice(-3000)).toBe(0);
    report = readFileSync(out, 'utf8');
    expect(report).toMatch(/in quick mode/);
    expect(report).toMatch(/Node v\d+\.\d+\.\d+, \d+ cores \(/);
  }, 120_000);

  it('reports the first response of every deployed function as a ratio to the floor, with its target', () => {
    expect(rowOf(report, 'floor: one `fetch`')?.[5]).toBe('1.00×');
    for (const { entry: name } of FUNCTION_SPECS) {
      const cells = rowOf(report, name);
      expect(cells, name).toBeDefined();
      expect(isTime(cells?.[2]) && isTime(cells?.[3]) && isTime(cells?.[4]), `${name}: ${String(cells)}`).toBe(true);
      expect(isRatio(cells?.[5]) && isRatio(cells?.[6]), `${name}: ${String(cells)}`).toBe(true);
      expect(cells?.[7], name).toMatch(/^≤ 1\.[79]0×$/);
      expect(cells?.[8], name).toMatch(/^(yes|\*\*no\*\*)$/);
    }
  });

  it('reports each change undone against the deployed function, warm latency, heap and bundle sizes', () => {
    for (const variant of CHANGE_VARIANTS) {
      const cells = rowOf(report, variant.change);
      expect(isTime(cells?.[3]), variant.change).toBe(true);
      if (variant.status === 'reference') continue;
      expect(cells?.[1], variant.change).toBe(variant.status === 'kept' ? 'yes' : 'no');
      expect(cells?.[6], variant.change).toMatch(/^[+−]\d+\.\d ms$/);
    }
    expect(rowOf(report, 'handler')?.[1]).toMatch(/^\d+\.\d{3} ms$/);
    expect(rowOf(report, 'bare client call')?.[1]).toMatch(/^\d+\.\d{3} ms$/);
    expect(report).toMatch(/growth after 200 more requests through the handler \*\*-?\d+\.\d\d MB\*\*/);
    for (const { entry: name } of FUNCTION_SPECS) expect(rowOf(report, name)?.length, name).toBe(9);
    expect(report).toMatch(/## Symbolicating a stack trace/);
  });

  it('docs/benchmarks.md is a full run that covers every deployed function', () => {
    const committed = readFileSync(`${ROOT}docs/benchmarks.md`, 'utf8');
    expect(committed).not.toMatch(/in quick mode/);
    for (const { entry: name } of FUNCTION_SPECS) expect(rowOf(committed, name), name).toBeDefined();
  });
});
