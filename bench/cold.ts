import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/**
 * One cold sample: a fresh Node process loads a bundle and answers one event. Measured from just
 * before the process is spawned to the moment the handler's promise resolves in the child (both
 * on the wall clock: `performance.timeOrigin + performance.now()` in each process), so the parent
 * being busy (it serves the sandbox and Secrets Manager) does not delay the reading.
 */

export interface ColdVariant {
  /** Row label in the report. */
  label: string;
  /** Function name (event and expected answer are looked up by it). */
  functionName: string;
  file: string;
  event: (sample: number) => unknown;
  expectedAnswer: number | string;
  /** InvoiceXpress calls and Secrets Manager reads one first response takes. */
  expectedCalls: { invoiceXpress: number; secretReads: number };
  /** Extra environment (e.g. NODE_OPTIONS). */
  env?: Record<string, string>;
}

interface CallCounters {
  invoiceXpress(): number;
  secretReads(): number;
}

function collect(stream: Readable | null | undefined): () => string {
  const chunks: Buffer[] = [];
  stream?.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

const wallClock = (): number => performance.timeOrigin + performance.now();

/** Milliseconds from spawning the process to the end of init and to the handler's first response. */
export interface ColdSample {
  initMs: number;
  firstResponseMs: number;
}

async function coldSample(harness: string, variant: ColdVariant, sample: number, env: Record<string, string>, counters: CallCounters): Promise<ColdSample> {
  const before = { invoiceXpress: counters.invoiceXpress(), secretReads: counters.secretReads() };
  const args = [harness, variant.file, JSON.stringify(variant.event(sample)), variant.functionName];
  const started = wallClock();
  // stdout (the function's JSON logs) goes to /dev/null, as cheap as Lambda's log capture.
  const child = spawn(process.execPath, args, { env: { ...env, ...variant.env }, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const stderr = collect(child.stderr);
  const report = collect(child.stdio[3] as Readable);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const fail = (why: string): Error => new Error(`cold sample of ${variant.label} ${why}\n${stderr().slice(0, 2000)}`);
  if (code !== 0) throw fail(`exited with ${String(code)}`);
  const { loadedAt, answeredAt, answer } = JSON.parse(report()) as { loadedAt: number; answeredAt: number; answer: unknown };
  if (answer !== variant.expectedAnswer) throw fail(`answered ${String(answer)}, expected ${String(variant.expectedAnswer)}`);
  const calls = {
    invoiceXpress: counters.invoiceXpress() - before.invoiceXpress,
    secretReads: counters.secretReads() - before.secretReads,
  };
  if (calls.invoiceXpress !== variant.expectedCalls.invoiceXpress || calls.secretReads !== variant.expectedCalls.secretReads) {
    throw fail(`made ${JSON.stringify(calls)}, expected ${JSON.stringify(variant.expectedCalls)}`);
  }
  return { initMs: loadedAt - started, firstResponseMs: answeredAt - started };
}

/**
 * Samples every variant `rounds` times, interleaved: each round runs every variant once, starting
 * one further along each round, so drift on a busy machine hits every variant alike. An untimed
 * round first fills the OS file cache (unless `fillCache` is false). Sample i of every variant
 * comes from round i (for paired comparisons).
 */
export async function coldRounds(
  harness: string,
  variants: readonly ColdVariant[],
  rounds: number,
  env: Record<string, string>,
  counters: CallCounters,
  options: { fillCache: boolean; onRound?: (round: number) => void },
): Promise<Map<ColdVariant, ColdSample[]>> {
  const samples = new Map<ColdVariant, ColdSample[]>(variants.map((variant) => [variant, []]));
  let sample = 0;
  if (options.fillCache) for (const variant of variants) await coldSample(harness, variant, sample++, env, counters);
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < variants.length; index++) {
      const variant = variants[(index + round) % variants.length];
      if (variant === undefined) continue;
      samples.get(variant)?.push(await coldSample(harness, variant, sample++, env, counters));
    }
    options.onRound?.(round);
  }
  return samples;
}
