import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The README and docs cannot rot: their commands exist and run, their links resolve. */

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const readme = read('README.md');
const docs = [
  'README.md',
  ...readdirSync(new URL('docs/', root))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

function codeLines(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  return blocks
    .flatMap((block) => block.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

describe('README', () => {
  it('has exactly two quick-start commands, and CI runs the test one', () => {
    const quickStart = readme.split('## Quick start')[1]?.split('\n## ')[0] ?? '';
    expect(codeLines(quickStart)).toEqual(['npm ci && npm start', 'npm ci && npm test']);
    const ci = read('.ci/run');
    expect(ci).toMatch(/^npm ci$/m);
    expect(ci).toMatch(/^npm test$/m);
  });

  it.each(docs)('%s: every npm script it mentions exists', (path) => {
    const mentioned = [...read(path).matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1] ?? '');
    for (const script of mentioned) expect(scripts, `${path} mentions npm run ${script}`).toHaveProperty(script);
  });

  it.each(docs)('%s: every relative link resolves', (path) => {
    const base = new URL(path, root);
    for (const [, target] of read(path).matchAll(/\]\(((?!https?:|#)[^)#]+)(?:#[^)]*)?\)/g)) {
      expect(existsSync(new URL(target ?? '', base)), `${path} links to ${String(target)}`).toBe(true);
    }
  });

  it('the rollover command from the README runs as written (sandbox, dry run)', () => {
    const line = codeLines(readme).find((l) => l.startsWith('npm run rollover') && l.includes('--dry-run'));
    expect(line).toBeDefined();
    const args = (line ?? '').split(/\s+/).slice(1);
    const run = spawnSync('npm', args, { cwd: root, encoding: 'utf8', env: { ...process.env, IX_ACCOUNT_NAME: '', IX_API_KEY: '' } });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/"dryRun": ?true/);
  });

  it('the test command includes the synth of every environment the README names', () => {
    expect(scripts['test']).toContain('synth');
    for (const stage of ['dev', 'staging', 'prod']) expect(read('infra/config.ts')).toContain(stage);
  });
});
