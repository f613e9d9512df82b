import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox } from '../../sandbox/types.ts';

/** The sandbox's curl examples (docs/sandbox.md, README's "The sandbox") run as written, in order. */

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

function curlLines(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  return blocks.flatMap((block) => block.split('\n')).filter((line) => line.startsWith('curl '));
}

const sources = {
  'docs/sandbox.md': curlLines(read('docs/sandbox.md')),
  "README's sandbox section": curlLines(read('README.md').split('## The sandbox')[1]?.split('\n## ')[0] ?? ''),
};

let sandbox: Sandbox;
beforeAll(async () => {
  // The examples use the sandbox's public default key.
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

/** Runs the lines in one bash, in order (spawning a shell per line is slow); exit code and output of each. */
function runAll(lines: string[]): Promise<{ line: string; code: number; stdout: string }[]> {
  const script = lines.map((line, index) => `printf '@@@${String(index)}\\n'; ${line}; printf '\\n@@@rc=%d\\n' $?`).join('\n');
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', script], { env: { PATH: process.env['PATH'] ?? '', SANDBOX: sandbox.url }, timeout: 20_000 }, (error, stdout) => {
      if (error) return reject(new Error(`bash exited with ${String(error.code)}`));
      const results = [...stdout.matchAll(/@@@(\d+)\n([\s\S]*?)\n@@@rc=(\d+)\n/g)].map((match) => ({
        line: lines[Number(match[1])] ?? '',
        stdout: match[2] ?? '',
        code: Number(match[3]),
      }));
      resolve(results);
    });
  });
}

describe.each(Object.entries(sources))('%s', (_source, lines) => {
  it('has curl examples, and each one is accepted as written', async () => {
    expect(lines.length).toBeGreaterThan(3);
    sandbox.reset();
    const results = await runAll(lines);
    expect(results.map((result) => result.line)).toEqual(lines);
    for (const { line, code, stdout } of results) {
      expect(code, line).toBe(0);
      if (!line.includes('/_sandbox')) continue;
      const answer = JSON.parse(stdout) as Record<string, unknown>;
      expect(answer['error'], `${line} → ${stdout}`).toBeUndefined();
    }
    // The examples end with the sandbox in a usable state for the next reader.
    expect(sandbox.requests.every((request) => request.status !== 401)).toBe(true);
  });
});
