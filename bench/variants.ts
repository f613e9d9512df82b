import { FUNCTION_BUNDLING } from '../infra/bundling.ts';
import type { BundleVariant } from './bundle.ts';

/**
 * The cold-path changes, measured on get-sequence against the deployed bundle in the
 * same run: the kept ones undone (one at a time and together), and the ones tried and not kept
 * applied. Only the bench builds these.
 */

const SDK_EXTERNAL = { ...FUNCTION_BUNDLING, externalModules: ['@aws-sdk/*'], banner: undefined };
const SOURCE_MAPS = { NODE_OPTIONS: '--enable-source-maps' };

interface ChangeVariant {
  /** Bundle directory name (variants with the same name share one bundle). */
  name: string;
  /** The change, as the report names it. */
  change: string;
  /**
   * kept: the variant undoes a change the functions have; tried: it applies one they do not;
   * reference: the deployed function under other conditions, for a tried variant to compare with.
   */
  status: 'kept' | 'tried' | 'reference';
  /** What the variant is. */
  label: string;
  /** Entry to bundle (default: the function's own). */
  entry?: string;
  bundle?: BundleVariant;
  env?: Record<string, string>;
  /** Every Secrets Manager answer delayed SECRETS_LATENCY_MS (a stand-in for the network). */
  slowSecrets?: boolean;
  /** The `change` of the reference variant it is compared with (default: the deployed function). */
  comparedWith?: string;
}

/** Network time added to Secrets Manager for the variants that need some to overlap. */
export const SECRETS_LATENCY_MS = 20;

/** The function the changes are measured on: every API route resembles it most. */
export const CHANGE_FUNCTION = 'get-sequence';

export const CHANGE_VARIANTS: readonly ChangeVariant[] = [
  {
    name: 'get-sequence-sdk-external',
    change: 'the AWS SDK bundled into the function',
    status: 'kept',
    label: '`@aws-sdk/*` external (loaded from node_modules, as the runtime provides it)',
    bundle: { bundling: SDK_EXTERNAL },
  },
  {
    name: 'get-sequence',
    change: 'no `--enable-source-maps` (maps kept for offline use)',
    status: 'kept',
    label: '`NODE_OPTIONS=--enable-source-maps`',
    env: SOURCE_MAPS,
  },
  {
    name: 'get-sequence-before',
    change: 'both of the above',
    status: 'kept',
    label: 'SDK external and `--enable-source-maps` (the functions before these changes)',
    bundle: { bundling: SDK_EXTERNAL },
    env: SOURCE_MAPS,
  },
  {
    name: 'get-sequence-no-budget',
    change: 'the InvoiceXpress request budget (a DynamoDB conditional write before the call; issue 21)',
    status: 'kept',
    label: 'bench/candidates/get-sequence-no-budget.ts (no budget: the function before issue 21)',
    entry: 'bench/candidates/get-sequence-no-budget.ts',
  },
  {
    name: 'get-sequence-early-secret',
    change: 'the secret read started during init',
    status: 'tried',
    label: 'bench/candidates/get-sequence-early-secret.ts',
    entry: 'bench/candidates/get-sequence-early-secret.ts',
  },
  {
    name: 'get-sequence',
    change: `(reference) Secrets Manager ${String(SECRETS_LATENCY_MS)} ms away`,
    status: 'reference',
    label: `deployed, every Secrets Manager answer delayed ${String(SECRETS_LATENCY_MS)} ms`,
    slowSecrets: true,
  },
  {
    name: 'get-sequence-early-secret',
    change: `the secret read started during init, Secrets Manager ${String(SECRETS_LATENCY_MS)} ms away`,
    status: 'tried',
    label: `the candidate above, every Secrets Manager answer delayed ${String(SECRETS_LATENCY_MS)} ms`,
    entry: 'bench/candidates/get-sequence-early-secret.ts',
    slowSecrets: true,
    comparedWith: `(reference) Secrets Manager ${String(SECRETS_LATENCY_MS)} ms away`,
  },
];
