import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';
import { FUNCTION_BUNDLING } from '../infra/bundling.ts';
import type { BundleVariant } from './bundle.ts';

/**
 * The changes of issue 11 the bench measures against the deployed bundles, each undone alone
 * (and all together: the functions as they were before). Only the bench builds these.
 */

/** The early secret read in shared/runtime/service-runtime.ts (one statement). */
const EARLY_SECRET_READ = /^[ \t]*secret\.get\(\)\.catch\(\(\) => undefined\);[ \t]*\n/m;

/** Builds shared/runtime/service-runtime.ts without its early secret read. */
function withoutEarlySecretRead(): Plugin {
  return {
    name: 'without-early-secret-read',
    setup(build) {
      build.onLoad({ filter: /shared\/runtime\/service-runtime\.ts$/ }, async ({ path }) => {
        const source = await readFile(path, 'utf8');
        if (!EARLY_SECRET_READ.test(source)) {
          // Loud on purpose: the variant would silently measure nothing.
          throw new Error(`bench: the early secret read statement is no longer in ${path}; update bench/variants.ts`);
        }
        return { contents: source.replace(EARLY_SECRET_READ, ''), loader: 'ts' };
      });
    },
  };
}

const SDK_EXTERNAL = { ...FUNCTION_BUNDLING, externalModules: ['@aws-sdk/*'], banner: undefined };
const SOURCE_MAPS = { NODE_OPTIONS: '--enable-source-maps' };

export interface ChangeVariant {
  /** Bundle directory name. */
  name: string;
  label: string;
  /** What the deployed function does instead. */
  change: string;
  bundle?: BundleVariant;
  env?: Record<string, string>;
}

/** Undone on get-sequence, the function every API route resembles most. */
export const CHANGE_FUNCTION = 'get-sequence';

export const CHANGE_VARIANTS: readonly ChangeVariant[] = [
  {
    name: 'get-sequence-sdk-external',
    label: '`@aws-sdk/*` external (loaded from node_modules, as the runtime provides it)',
    change: 'the AWS SDK bundled into the function',
    bundle: { bundling: SDK_EXTERNAL },
  },
  {
    name: 'get-sequence',
    label: '`NODE_OPTIONS=--enable-source-maps`',
    change: 'no `--enable-source-maps` (maps kept for offline use)',
    env: SOURCE_MAPS,
  },
  {
    name: 'get-sequence-lazy-secret',
    label: 'secret read on the first request, not during init',
    change: 'the secret read started during init',
    bundle: { plugins: [withoutEarlySecretRead()] },
  },
  {
    name: 'get-sequence-before',
    label: 'all three undone (the functions before issue 11)',
    change: 'all three changes',
    bundle: { bundling: SDK_EXTERNAL, plugins: [withoutEarlySecretRead()] },
    env: SOURCE_MAPS,
  },
];
