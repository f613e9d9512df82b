import { readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { SynthesisMessageLevel } from 'aws-cdk-lib/cx-api';
import { createApp } from './app-factory.ts';
import { stageNames } from './config.ts';

/**
 * `npm run synth`: synthesizes every configured stage into cdk.out/synth-all/<stage>, with the same
 * feature flags as cdk.json and cdk-nag enabled, printing one line per stage. Any error (invalid
 * config, unacknowledged cdk-nag finding, esbuild failure) prints the captured output and exits 1.
 *
 * The Lambda bundles do not depend on the stage (same entries, same esbuild options), so esbuild
 * runs for the first stage only; the other stages' templates are synthesized with bundling
 * skipped. `npx cdk synth -c stage=<name>` always bundles. Warnings (e.g. a production stage
 * whose alarms reach nobody) are printed under the stage's line; they do not fail the run.
 */

const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
  context?: Record<string, unknown>;
};
const root = new URL('../cdk.out/synth-all/', import.meta.url);

/** Runs `fn` with stderr captured (CDK prints a "Bundling asset ..." line per function). */
function quietly<T>(fn: () => T): { result?: T; error?: unknown; output: string } {
  const chunks: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  const capture = (chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  process.stderr.write = capture;
  try {
    return { result: fn(), output: chunks.join('') };
  } catch (error) {
    return { error, output: chunks.join('') };
  } finally {
    process.stderr.write = write;
  }
}

let failed = false;
for (const [index, stage] of stageNames().entries()) {
  const started = performance.now();
  const outdir = new URL(`${stage}/`, root).pathname;
  rmSync(outdir, { recursive: true, force: true });
  const context: Record<string, unknown> = { ...(cdkJson.context ?? {}), stage };
  if (index > 0) context['aws:cdk:bundling-stacks'] = [];
  const { result, error, output } = quietly(() => createApp({ appProps: { outdir, context } }).app.synth());
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (error === undefined) {
    console.log(`ok   ${stage.padEnd(12)} ${seconds} s  ${index === 0 ? '(bundled)' : ''}`);
    const warnings = (result?.stacks ?? []).flatMap((stack) => stack.messages).filter((m) => m.level === SynthesisMessageLevel.WARNING);
    for (const { entry } of warnings) console.log(`     warning: ${typeof entry.data === 'string' ? entry.data : JSON.stringify(entry.data)}`);
  } else {
    failed = true;
    console.error(`FAIL ${stage.padEnd(12)} ${seconds} s`);
    if (output.trim() !== '') console.error(output.trimEnd());
    console.error(error instanceof Error ? error.message : JSON.stringify(error));
  }
}
process.exitCode = failed ? 1 : 0;
