import type { BuildOptions } from 'esbuild';
import { LogLevel, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * CommonJS code inside an ESM bundle reaches Node built-ins through `require`, which ESM does not
 * have: this banner defines it. Today's bundles hold no CommonJS (mainFields picks the SDK's ESM
 * builds), but a CommonJS dependency added later would otherwise fail only when its code runs.
 * The import is aliased so it cannot clash with a name of the bundle.
 */
export const CREATE_REQUIRE_BANNER =
  "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);";

/**
 * How every function is bundled (esbuild through NodejsFunction). The one definition: the stack
 * uses it, and the benchmarks bundle with `esbuildBuildOptions(FUNCTION_BUNDLING, …)` so what
 * they measure is what deploys.
 */
export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node24',
  minify: true,
  // Maps are written next to each bundle for offline symbolication (docs/benchmarks.md); Node
  // does not read them unless --enable-source-maps is set, so they cost nothing at cold start.
  sourceMap: true,
  // Maps point at file:line without embedding every source: a smaller package.
  sourcesContent: false,
  // Nothing external: the AWS SDK is bundled and tree-shaken with the rest. Loading the runtime's
  // copy from node_modules makes every cold start slower (docs/benchmarks.md).
  externalModules: [],
  banner: CREATE_REQUIRE_BANNER,
  // Prefer ESM builds of dependencies (tree-shaking, fewer CommonJS interop shims).
  mainFields: ['module', 'main'],
  logLevel: LogLevel.WARNING,
  forceDockerBundling: false,
};

/** The BundlingOptions fields `esbuildBuildOptions` translates; any other one is refused. */
const TRANSLATED = new Set<string>([
  'format',
  'target',
  'minify',
  'sourceMap',
  'sourceMapMode',
  'sourcesContent',
  'externalModules',
  'banner',
  'footer',
  'mainFields',
  'logLevel',
  'keepNames',
  'define',
  'loader',
  'forceDockerBundling',
]);

/**
 * The esbuild build options NodejsFunction runs for `bundling` (the same flags its esbuild
 * command line gets), for bundling outside CDK (the benchmarks). An option not translated here
 * throws, so adding one to FUNCTION_BUNDLING cannot silently make the two differ.
 */
export function esbuildBuildOptions(bundling: BundlingOptions, paths: { entry: string; outfile: string }): BuildOptions & { outfile: string } {
  const untranslated = Object.keys(bundling).filter((key) => !TRANSLATED.has(key) && bundling[key as keyof BundlingOptions] !== undefined);
  if (untranslated.length > 0) throw new Error(`esbuildBuildOptions does not translate: ${untranslated.join(', ')}`);
  if (bundling.target === undefined || bundling.externalModules === undefined) {
    // NodejsFunction derives both from the runtime when unset; set them on purpose instead.
    throw new Error('esbuildBuildOptions needs an explicit target and externalModules');
  }
  const sourceMapMode = bundling.sourceMapMode ?? (bundling.sourceMap === true ? SourceMapMode.DEFAULT : undefined);
  return {
    entryPoints: [paths.entry],
    outfile: paths.outfile,
    bundle: true,
    platform: 'node',
    target: bundling.target,
    ...(bundling.format === undefined ? {} : { format: bundling.format }),
    minify: bundling.minify === true,
    // CDK's "default" mode is esbuild's bare --sourcemap (a linked .map file).
    ...(sourceMapMode === undefined ? {} : { sourcemap: sourceMapMode === SourceMapMode.DEFAULT ? true : sourceMapMode }),
    sourcesContent: bundling.sourcesContent ?? true,
    external: [...bundling.externalModules],
    ...(bundling.banner === undefined ? {} : { banner: { js: bundling.banner } }),
    ...(bundling.footer === undefined ? {} : { footer: { js: bundling.footer } }),
    ...(bundling.mainFields === undefined ? {} : { mainFields: [...bundling.mainFields] }),
    ...(bundling.logLevel === undefined ? {} : { logLevel: bundling.logLevel }),
    ...(bundling.keepNames === true ? { keepNames: true } : {}),
    ...(bundling.define === undefined ? {} : { define: { ...bundling.define } }),
    ...(bundling.loader === undefined ? {} : { loader: { ...bundling.loader } as BuildOptions['loader'] }),
  };
}
