import { LogLevel, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How every function is bundled (esbuild through NodejsFunction). The one definition: the stack
 * uses it, and the benchmarks bundle with the same options so what they measure is what deploys.
 */
export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node24',
  minify: true,
  sourceMap: true,
  // Maps point at file:line without embedding every source: a much smaller package to load.
  sourcesContent: false,
  // The Lambda runtime ships AWS SDK v3; everything else is bundled. With the SDK external
  // no CommonJS code needs `require`, so no createRequire banner.
  externalModules: ['@aws-sdk/*'],
  // Prefer ESM builds of dependencies (tree-shaking, no CJS interop shims).
  mainFields: ['module', 'main'],
  logLevel: LogLevel.WARNING,
  forceDockerBundling: false,
};
