import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_SPECS } from '../../infra/ix-sequences-stack.ts';
import { props, resourcesOfType, synthStage } from './support.ts';

// The one test that runs esbuild for real (every other infra test skips bundling for speed).
describe('bundling (dev, real esbuild)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'ix-sequences-cdk-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('produces a non-empty ESM bundle with a source map for every function, the AWS SDK left external', () => {
    const { json } = synthStage('dev', { bundle: true, outdir });
    const functions = resourcesOfType(json, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(FUNCTION_SPECS.length);
    for (const [id, fn] of functions) {
      // The staged asset directory is named after the hash that is also the S3 key of the zip.
      const s3Key = props<{ Code: { S3Key: string } }>(fn).Code.S3Key;
      const hash = /^([0-9a-f]{64})\.zip$/.exec(s3Key)?.[1];
      expect(hash, `${id}: ${s3Key}`).toBeDefined();
      const dir = join(outdir, `asset.${hash}`);
      const bundle = join(dir, 'index.mjs');
      expect(existsSync(bundle), `${id}: ${bundle}`).toBe(true);
      expect(statSync(bundle).size, id).toBeGreaterThan(0);
      expect(statSync(join(dir, 'index.mjs.map')).size, id).toBeGreaterThan(0);
      expect(props(fn)['Handler'], id).toBe('index.handler');

      const code = readFileSync(bundle, 'utf8');
      expect(code, id).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}|export\s*\{[^}]*\bhandler\b[^}]*\}/);
      // esbuild's shim for a CommonJS require() in an ESM bundle: present, it would need a
      // createRequire banner. Absent, no banner is needed.
      expect(code, id).not.toContain('Dynamic require of');
      // The SDK is imported from the runtime, not bundled (its endpoint rules would be inlined).
      expect(code, id).not.toContain('secretsmanager-fips');
      const sdkMentions = code.match(/"@aws-sdk\/[^"]+"/g) ?? [];
      const sdkImports = code.match(/(from|import\()\s*"@aws-sdk\/[^"]+"/g) ?? [];
      expect(sdkMentions.length, id).toBe(sdkImports.length);
    }
  }, 180_000);
});
