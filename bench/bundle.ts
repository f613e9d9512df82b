import { mkdirSync, statSync } from 'node:fs';
import { build } from 'esbuild';
import type { Metafile } from 'esbuild';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { esbuildBuildOptions, FUNCTION_BUNDLING } from '../infra/bundling.ts';

/**
 * Bundles an entry the way the stack does (infra/bundling.ts, translated by
 * `esbuildBuildOptions`), so what the bench loads is what deploys. A variant may change the
 * options (to measure what a change saves); the deployed functions never do.
 */

export const ROOT = new URL('..', import.meta.url).pathname;
const OUT_DIR = `${ROOT}.bench/bundles`;

export interface BundleReport {
  name: string;
  /** The bundle (index.mjs), as NodejsFunction names it for ESM. */
  file: string;
  bytes: number;
  mapBytes: number;
  /** The largest packages / folders in the bundle, by output bytes. */
  top: { source: string; bytes: number }[];
}

export interface BundleVariant {
  bundling?: BundlingOptions;
  /** Modules swapped for others at bundle time (esbuild's `alias`), for the bench's attribution. */
  alias?: Record<string, string>;
}

function groupOf(path: string): string {
  const nodeModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (nodeModules?.[1]) return nodeModules[1];
  return path.split('/').slice(0, 2).join('/');
}

function topSources(metafile: Metafile): { source: string; bytes: number }[] {
  const output = Object.entries(metafile.outputs).find(([name]) => name.endsWith('index.mjs'))?.[1];
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
export async function bundle(name: string, entry: string, variant: BundleVariant = {}): Promise<BundleReport> {
  const outdir = `${OUT_DIR}/${name}`;
  mkdirSync(outdir, { recursive: true });
  const file = `${outdir}/index.mjs`;
  const options = esbuildBuildOptions(variant.bundling ?? FUNCTION_BUNDLING, { entry: `${ROOT}${entry}`, outfile: file });
  const result = await build({ ...options, ...(variant.alias ? { alias: variant.alias } : {}), absWorkingDir: ROOT, metafile: true });
  const mapBytes = options.sourcemap === undefined ? 0 : statSync(`${file}.map`).size;
  return { name, file, bytes: statSync(file).size, mapBytes, top: topSources(result.metafile) };
}
