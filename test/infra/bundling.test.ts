import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_REQUIRE_BANNER, esbuildBuildOptions, FUNCTION_BUNDLING } from '../../infra/bundling.ts';
import { FUNCTION_SPECS } from '../../infra/ix-sequences-stack.ts';
import { props, resourcesOfType, synthStage } from './support.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Every module a bundle imports (static, dynamic, require), as esbuild's own parser reads it. */
async function importsOf(file: string): Promise<string[]> {
  const { metafile } = await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    metafile: true,
    external: ['*'],
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
  });
  return Object.values(metafile.inputs).flatMap((input) => input.imports.map((imported) => imported.path));
}

// The one test file that runs esbuild for real (every other infra test skips bundling for speed).
describe('bundling (dev, real esbuild)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'ix-sequences-cdk-'));
  /** Function name → the directory CDK staged its asset in. */
  const assets = new Map<string, string>();
  beforeAll(() => {
    const { json } = synthStage('dev', { bundle: true, outdir });
    const functions = resourcesOfType(json, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(FUNCTION_SPECS.length);
    for (const [id, fn] of functions) {
      expect(props(fn)['Handler'], id).toBe('index.handler');
      // The staged asset directory is named after the hash that is also the S3 key of the zip.
      const s3Key = props<{ Code: { S3Key: string } }>(fn).Code.S3Key;
      const hash = /^([0-9a-f]{64})\.zip$/.exec(s3Key)?.[1];
      const spec = FUNCTION_SPECS.find((candidate) => props(fn)['FunctionName'] === `ix-sequences-dev-${candidate.entry}`);
      expect(hash, `${id}: ${s3Key}`).toBeDefined();
      expect(spec, id).toBeDefined();
      assets.set(spec?.entry ?? id, join(outdir, `asset.${hash ?? ''}`));
    }
  }, 180_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('bundles every function as ESM with the AWS SDK inside, the createRequire banner and a source map', async () => {
    expect([...assets.keys()].sort()).toEqual(FUNCTION_SPECS.map((spec) => spec.entry).sort());
    for (const [name, dir] of assets) {
      const bundle = join(dir, 'index.mjs');
      expect(existsSync(bundle), `${name}: ${bundle}`).toBe(true);
      expect(statSync(join(dir, 'index.mjs.map')).size, name).toBeGreaterThan(0);
      const code = readFileSync(bundle, 'utf8');
      // Nothing is left for the runtime to provide: no import of any @aws-sdk/* package…
      const imports = await importsOf(bundle);
      expect(
        imports.filter((path) => path.startsWith('@aws-sdk/')),
        name,
      ).toEqual([]);
      expect(
        imports.every((path) => path.startsWith('node:') || isBuiltin(path)),
        `${name}: ${imports.join(', ')}`,
      ).toBe(true);
      // …because the Secrets Manager client is in the bundle itself (its signing name and endpoints),
      // in every function that reads the secret; the others do not carry it at all.
      const spec = FUNCTION_SPECS.find((candidate) => candidate.entry === name);
      // The delivery function reads the webhooks secret; the admin functions write the accounts' secrets.
      const readsSecret = spec?.invoiceXpress === true || spec?.notifications === 'deliver' || spec?.accountAdmin !== undefined;
      expect(code.includes('defaultSigningName:"secretsmanager"'), name).toBe(readsSecret);
      expect(code.includes('https://secretsmanager-fips.'), name).toBe(readsSecret);
      // CommonJS code in an ESM bundle calls `require`: the banner defines it.
      expect(code.startsWith(CREATE_REQUIRE_BANNER), name).toBe(true);
      expect(/export\s*\{[^}]*\bhandler\b[^}]*\}/.test(code), name).toBe(true);
    }
  });

  it('builds byte for byte what the benchmarks build from the same options (esbuildBuildOptions)', async () => {
    const local = mkdtempSync(join(tmpdir(), 'ix-sequences-bench-'));
    try {
      for (const spec of FUNCTION_SPECS) {
        const outfile = join(local, spec.entry, 'index.mjs');
        await build({ ...esbuildBuildOptions(FUNCTION_BUNDLING, { entry: `${ROOT}functions/${spec.entry}.ts`, outfile }), absWorkingDir: ROOT });
        const deployed = readFileSync(join(assets.get(spec.entry) ?? '', 'index.mjs'));
        expect(readFileSync(outfile).equals(deployed), spec.entry).toBe(true);
      }
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  }, 60_000);

  it('loads without --enable-source-maps, and its stack traces map back to the TypeScript sources offline', () => {
    const dir = assets.get('get-sequence') ?? '';
    // A missing IX_SECRET_ID fails the cold start (parseEnv throws): a real trace from the bundle.
    const crash = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(join(dir, 'index.mjs'))});`], {
      env: { AWS_REGION: 'eu-west-1' },
      encoding: 'utf8',
    });
    expect(crash.status).not.toBe(0);
    expect(crash.stderr).toMatch(/ConfigurationError/);
    expect(crash.stderr).toMatch(/index\.mjs:\d+:\d+/);

    // The docs' command (bench/report.ts → docs/benchmarks.md), on that trace.
    const mapped = spawnSync(process.execPath, [`${ROOT}local/symbolicate.ts`, join(dir, 'index.mjs.map')], { input: crash.stderr, encoding: 'utf8' });
    expect(mapped.status, mapped.stderr).toBe(0);
    const frame = /([^\s(]*shared\/runtime\/env\.ts):(\d+):(\d+)/.exec(mapped.stdout);
    expect(frame, mapped.stdout).not.toBeNull();
    // The frame points at the line of env.ts that throws.
    const line = readFileSync(`${ROOT}shared/runtime/env.ts`, 'utf8').split('\n')[Number(frame?.[2]) - 1];
    expect(line).toMatch(/throw new ConfigurationError/);
    expect(mapped.stdout).not.toMatch(/index\.mjs:\d+:\d+/);
  });

  it('keeps the rollover engine and the webhooks out of the read-only rollover functions, rollover-run-record at most 90% of rollover-run', async () => {
    /** The project's own modules a deployed function's bundle holds (esbuild's metafile). */
    const sourcesOf = async (entry: string): Promise<string[]> => {
      const outfile = join(tmpdir(), 'ix-sequences-sources', entry, 'index.mjs');
      const { metafile } = await build({
        ...esbuildBuildOptions(FUNCTION_BUNDLING, { entry: `${ROOT}functions/${entry}.ts`, outfile }),
        absWorkingDir: ROOT,
        write: false,
        metafile: true,
      });
      return Object.keys(metafile.inputs).filter((input) => !input.includes('node_modules'));
    };
    const bytes = (entry: string): number => statSync(join(assets.get(entry) ?? '', 'index.mjs')).size;
    const engine = /^shared\/(rollover\/(rollover|locked-run|service)|webhooks\/)/;
    expect((await sourcesOf('rollover-run')).filter((source) => engine.test(source)).length).toBeGreaterThan(0);
    for (const entry of ['rollover-status', 'rollover-run-record']) {
      expect(
        (await sourcesOf(entry)).filter((source) => engine.test(source)),
        entry,
      ).toEqual([]);
    }
    // The read-only functions carry the run table's DynamoDB client like rollover-run; without the
    // InvoiceXpress client too, rollover-run-record is at most 90% of it.
    expect(bytes('rollover-status') / bytes('rollover-run')).toBeLessThan(1);
    expect(bytes('rollover-run-record') / bytes('rollover-run')).toBeLessThanOrEqual(0.9);
  }, 60_000);
});
