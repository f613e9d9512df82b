import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../shared/http/openapi.ts';
import { startLocalStack } from '../support/local-stack.ts';
import type { LocalStack } from '../support/local-stack.ts';

/**
 * The caller client as a package (client/package.json, `@ix-sequences/client`): its version is the
 * contract's, `npm pack` builds it, and the tarball installed into an empty project (outside this
 * repository, so nothing resolves from our node_modules) type-checks and calls `npm start`'s API.
 */

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const NODE = `${ROOT}node_modules/.bin/node`;
const TSC = `${ROOT}node_modules/.bin/tsc`;

interface PackageJson {
  name: string;
  version: string;
  workspaces?: string[];
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
}
const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as T;
const clientPackage = readJson<PackageJson>('client/package.json');
const rootPackage = readJson<PackageJson>('package.json');

describe('the client package and the contract', () => {
  it("has the contract's version, recorded first in its CHANGELOG", () => {
    const documented = readJson<{ info: { version: string } }>('docs/openapi.json').info.version;
    expect(clientPackage.version).toBe((buildOpenApiDocument()['info'] as { version: string }).version);
    expect(clientPackage.version).toBe(documented);
    const changelog = readFileSync(join(ROOT, 'client/CHANGELOG.md'), 'utf8');
    expect(/^## (\S+)$/m.exec(changelog)?.[1]).toBe(clientPackage.version);
  });

  it('is a workspace of the repository, with the same dependency ranges as the service', () => {
    expect(clientPackage.name).toBe('@ix-sequences/client');
    expect(rootPackage.workspaces).toContain('client');
    // Imports from inside the repository keep working from source.
    expect(rootPackage.exports?.['./client']).toBe('./client/index.ts');
    for (const [name, range] of Object.entries(clientPackage.dependencies ?? {})) expect([name, rootPackage.dependencies?.[name]]).toEqual([name, range]);
  });
});

describe('npm pack, installed into an empty project', () => {
  let stack: LocalStack;
  const workDir = mkdtempSync(join(tmpdir(), 'ix-client-package-'));
  const consumer = join(workDir, 'consumer');

  beforeAll(async () => {
    stack = await startLocalStack();
  });
  afterAll(async () => {
    await stack.close();
    rmSync(workDir, { recursive: true, force: true });
    rmSync(join(ROOT, 'client/dist'), { recursive: true, force: true });
  });

  it('packs the built JavaScript and declarations, installs, type-checks and calls the API', { timeout: 90_000 }, async () => {
    const packed = await run('npm', ['pack', '-w', 'client', '--pack-destination', workDir, '--json'], { cwd: ROOT });
    const [tarball] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    if (!tarball) throw new Error('npm pack listed no tarball');
    const files = tarball.files.map((file) => file.path);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'dist/client/index.js', 'dist/client/index.d.ts']));
    // Only the build: no TypeScript sources, tests or build configuration.
    expect(files.filter((path) => !path.startsWith('dist/') && !['package.json', 'README.md', 'CHANGELOG.md'].includes(path))).toEqual([]);
    expect(files.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);

    rmSync(consumer, { recursive: true, force: true });
    await run('mkdir', ['-p', consumer]);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // The dependencies come from the registry (the npm cache first, as after `npm ci`).
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(workDir, tarball.filename)], { cwd: consumer });

    writeFileSync(
      join(consumer, 'call.ts'),
      `import { createIxSequencesClient, IxSequencesError } from '@ix-sequences/client';
import type { Sequence } from '@ix-sequences/client';

const ix = createIxSequencesClient({ baseUrl: process.argv[2] ?? '' });
const { sequences }: { sequences: Sequence[] } = await ix.listSequences();
const missing = await ix.getSequence({ id: 999999 }).then(() => 'found', (error: unknown) => (error instanceof IxSequencesError ? error.code : 'other'));
console.log(JSON.stringify({ series: sequences.map((s) => s.serie), missing }));
`,
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', target: 'es2024', strict: true, noEmit: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] },
        files: ['call.ts'],
      }),
    );
    await run(TSC, ['-p', consumer]);

    const env = { PATH: process.env['PATH'] ?? '', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDPACKAGETEST', AWS_SECRET_ACCESS_KEY: 'package-test' };
    const called = await run(NODE, ['call.ts', stack.url], { cwd: consumer, env });
    expect(JSON.parse(called.stdout)).toEqual({ series: stack.sandbox.sequences().map((s) => s.serie), missing: 'not_found' });
  });
});
