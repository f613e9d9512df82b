import type { BundleVariant } from './bundle.ts';

/**
 * What get-sequence's own cold cost (its first response over "floor + the SDK's secret read") is
 * made of. Each part is measured by a variant without it, in the same run as everything else:
 * ky, middy and the Powertools logger are swapped at bundle time for a stand-in of the same shape
 * (bench/attribution/*.ts, through esbuild's `alias`), so the part's cost is the deployed function
 * minus the variant, paired by round. zod cannot be taken out of a function that parses with it:
 * its variant is floor + secret read with get-sequence's schemas added, and its cost that variant
 * minus floor + secret read. What no variant removes is the handler itself (our code: the route,
 * the session, the client, the runtime).
 */

interface AttributionVariant {
  /** Bundle directory name. */
  name: string;
  /** The part, as the report names it. */
  part: string;
  /** removed: the deployed function without the part; added: floor + secret read with it. */
  how: 'removed' | 'added';
  /** Entry to bundle (default: functions/get-sequence.ts). */
  entry?: string;
  bundle?: BundleVariant;
}

const without = (module: string, standIn: string): BundleVariant => ({ alias: { [module]: `./bench/attribution/${standIn}` } });

export const ATTRIBUTION_VARIANTS: readonly AttributionVariant[] = [
  { name: 'get-sequence-zod-only', part: 'zod (its schemas built and run)', how: 'added', entry: 'bench/attribution/floor-secret-zod.ts' },
  { name: 'get-sequence-no-ky', part: 'ky', how: 'removed', bundle: without('ky', 'ky.ts') },
  { name: 'get-sequence-no-middy', part: 'middy', how: 'removed', bundle: without('@middy/core', 'middy.ts') },
  { name: 'get-sequence-no-logger', part: 'the Powertools logger', how: 'removed', bundle: without('@aws-lambda-powertools/logger', 'logger') },
];

/** get-sequence's first response against floor + secret read (median ÷ median). */
export const OWN_COST_TARGET = 1.1;
