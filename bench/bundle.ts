import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import type { Metafile } from 'esbuild';

/**
 * Bundles a function the way infra/ix-sequences-stack.ts has NodejsFunction do it (ESM, node24,
 * minified, @aws-sdk/* external, module-first main fields) so sizes measured here are the
 * deployed sizes (source maps excluded: they are loaded only when an error is printed).
 */

export const ROOT = new URL('..', import.meta.url).pathname;
export const OUT_DIR = `${ROOT}.bench/bundles`;

export interface BundleReport {
  name: string;
  file: string;
  bytes: number;
  /** The largest packages / folders in the bundle, by output bytes. */
  top: { source: string; bytes: number }[];
}

function groupOf(path: string): string {
  const nodeModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (nodeModules?.[1]) return nodeModules[1];
  return path.split('/').slice(0, 2).join('/');
}

function topSources(metafile: Metafile, file: string): { source: string; bytes: number }[] {
  const output = Object.entries(metafile.outputs).find(([name]) => name.endsWith(file))?.[1];
  const groups = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    groups.set(groupOf(input), (groups.get(groupOf(input)) ?? 0) + bytesInOutput);
  }
  return [...groups.entries()]
    .map(([source, bytes]) => ({ source, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 4);
}

/** `entry` is a path relative to the repository root, e.g. functions/list-sequences.ts */
export async function bundle(name: string, entry: string): Promise<BundleReport> {
  const outdir = `${OUT_DIR}/${name}`;
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [`${ROOT}${entry}`],
    outfile: `${outdir}/index.mjs`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    external: ['@aws-sdk/*'],
    mainFields: ['module', 'main'],
    metafile: true,
    logLevel: 'warning',
  });
  const file = `${outdir}/index.mjs`;
  writeFileSync(`${outdir}/package.json`, '{"type":"module"}\n');
  return { name, file, bytes: statSync(file).size, top: topSources(result.metafile, 'index.mjs') };
}
