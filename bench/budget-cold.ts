import { parseArgs } from 'node:util';
import { startLocalAws } from '../local/local-aws.ts';
import { startSandbox } from '../sandbox/server.ts';
import { BENCH_BUDGET } from './budget-env.ts';
import { bundle } from './bundle.ts';
import { coldRounds } from './cold.ts';
import type { ColdVariant } from './cold.ts';
import { EXPECTED_ANSWER, FUNCTION_EVENTS } from './events.ts';
import { median, percentile } from './stats.ts';

/**
 * `node bench/budget-cold.ts [--rounds N]`: what the InvoiceXpress request budget (issue 21) adds
 * to get-sequence's first response: the function as deployed (a DynamoDB client at init, one
 * conditional UpdateItem to dynalite before the call) against the same function without the budget
 * (bench/candidates/get-sequence-no-budget.ts), fresh processes, interleaved, paired by round.
 */
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' } } });
const rounds = Number(values.rounds);

const [harness, deployed, withoutBudget] = await Promise.all([
  bundle('cold-harness', 'bench/cold-harness.ts'),
  bundle('get-sequence', 'functions/get-sequence.ts'),
  bundle('get-sequence-no-budget', 'bench/candidates/get-sequence-no-budget.ts'),
]);
const sandbox = await startSandbox({ apiKey: 'bench-key' });
const localAws = await startLocalAws(sandbox, 'bench');
const env = {
  ...localAws.environment,
  ...BENCH_BUDGET(localAws.dynamo.tableName),
  SECRET_TTL_SECONDS: '300',
  IX_TIMEOUT_MS: '8000',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};
const variant = (label: string, file: string): ColdVariant => ({
  label,
  functionName: 'get-sequence',
  file,
  event: FUNCTION_EVENTS['get-sequence'] ?? (() => null),
  expectedAnswer: EXPECTED_ANSWER['get-sequence'] ?? 200,
  expectedCalls: { invoiceXpress: 1, secretReads: 1 },
});
const variants = [variant('with the budget (deployed)', deployed.file), variant('without the budget', withoutBudget.file)];
try {
  const counters = { invoiceXpress: () => sandbox.requests.length, secretReads: () => localAws.secretsManager.calls };
  const samples = await coldRounds(harness.file, variants, rounds, env, counters, { fillCache: true });
  const [withIt, without] = variants.map((v) => (samples.get(v) ?? []).map((s) => s.firstResponseMs));
  const paired = (withIt ?? []).map((ms, i) => ms - (without?.[i] ?? ms));
  for (const [v, report] of [
    [variants[0], deployed],
    [variants[1], withoutBudget],
  ] as const) {
    const first = (samples.get(v!) ?? []).map((s) => s.firstResponseMs);
    console.log(
      `${v!.label}: first response median ${median(first).toFixed(1)} ms, p90 ${percentile(first, 90).toFixed(1)} ms; bundle ${(report.bytes / 1024).toFixed(0)} KiB`,
    );
  }
  console.log(`budget check costs (median of paired differences over ${String(rounds)} rounds): ${median(paired).toFixed(1)} ms`);
} finally {
  await Promise.all([sandbox.close(), localAws.close()]);
}
