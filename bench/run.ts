import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalAws } from '../local/local-aws.ts';
import { startSandbox } from '../sandbox/server.ts';
import { FUNCTION_SPECS } from '../infra/ix-sequences-stack.ts';
import { ATTRIBUTION_VARIANTS } from './attribution.ts';
import { bundle, ROOT } from './bundle.ts';
import type { BundleReport } from './bundle.ts';
import { coldRounds } from './cold.ts';
import type { ColdSample, ColdVariant } from './cold.ts';
import { BENCH_ACCOUNT, EXPECTED_ANSWER, FUNCTION_EVENTS, INVOICEXPRESS_CALLS, SECRET_READS } from './events.ts';
import { benchAccounts } from './registered-accounts.ts';
import { probeTimeZoneFormatter } from './probes.ts';
import { renderReport, TIME_ZONE_PROBES } from './report.ts';
import type { BenchData, ColdRow } from './report.ts';
import { median, percentile } from './stats.ts';
import { startDelayingProxy } from './delaying-proxy.ts';
import { CHANGE_FUNCTION, CHANGE_VARIANTS, SECRETS_LATENCY_MS } from './variants.ts';
import { measureWarm } from './warm.ts';
import { BENCH_BUDGET } from './budget-env.ts';
import { measureChangeToFirstAttempt } from './notifications.ts';
import { measureFamilyCalls } from './family-calls.ts';
import type { FanoutReport } from './accounts-fanout.ts';

/**
 * `npm run bench`: what callers feel. For every function, the first response of a fresh process
 * (load the bundle as deployed, read the secret through the real SDK from the loopback Secrets
 * Manager, one InvoiceXpress call to the sandbox) against a process doing one `fetch`, all
 * variants interleaved in one run; the cold-path changes measured on get-sequence (kept ones
 * undone, tried ones applied: bench/variants.ts); warm latency against the bare client call and
 * heap after 20,000 warm requests. Printed and written to
 * docs/benchmarks.md. `--quick` runs a single round and few warm requests: the test suite uses
 * it to keep the script working (its figures mean little).
 */

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: `${ROOT}docs/benchmarks.md` },
    /** Also writes the run's figures as JSON (to render the report again without measuring). */
    data: { type: 'string' },
  },
});
const quick = flags.quick;
const ROUNDS = quick ? 1 : 30;
const WARM = quick
  ? { warmupRequests: 20, timedRequests: 50, heapRequests: 200, checkpoints: [] }
  : { warmupRequests: 500, timedRequests: 2_000, heapRequests: 20_000, checkpoints: [5_000, 10_000] };

const log = (line: string): void => {
  process.stderr.write(`[${(performance.now() / 1000).toFixed(1)} s] ${line}\n`);
};

log(`bench: ${quick ? 'quick' : 'full'} run on Node ${process.version}; bundling…`);
const functionNames = FUNCTION_SPECS.map((spec) => spec.entry);
const [harness, floor, floorSecret, bare, functions, changes, parts] = await Promise.all([
  bundle('cold-harness', 'bench/cold-harness.ts'),
  bundle('floor', 'bench/floor.ts'),
  bundle('floor-secret', 'bench/floor-secret.ts'),
  bundle('bare-client', 'bench/bare-client.ts'),
  Promise.all(functionNames.map((name) => bundle(name, `functions/${name}.ts`))),
  bundleChangeVariants(),
  Promise.all(ATTRIBUTION_VARIANTS.map((v) => bundle(v.name, v.entry ?? `functions/${CHANGE_FUNCTION}.ts`, v.bundle))),
]);

/** One bundle per distinct variant name; the deployed function's own bundle is built above. */
async function bundleChangeVariants(): Promise<Map<string, BundleReport>> {
  const distinct = new Map(CHANGE_VARIANTS.filter((v) => v.bundle || v.entry).map((v) => [v.name, v]));
  const built = await Promise.all([...distinct.values()].map((v) => bundle(v.name, v.entry ?? `functions/${CHANGE_FUNCTION}.ts`, v.bundle)));
  return new Map(built.map((report) => [report.name, report]));
}

const sandbox = await startSandbox({ apiKey: 'bench-key' });
const localAws = await startLocalAws(sandbox, 'bench');
const secrets = localAws.secretsManager;
// As the stack configures a function, pointed at the loopback peers; nothing inherited.
const functionEnv: Record<string, string> = {
  ...localAws.environment,
  // As in AWS: the request budget on the run table (local runs may go without one), sized so that
  // the bench's back-to-back first responses never run out of it (the check's cost is the same).
  ...BENCH_BUDGET(localAws.dynamo.tableName),
  SECRET_TTL_SECONDS: '300',
  IX_TIMEOUT_MS: '8000',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  // The delivery function's endpoints: none, so its sample is the fan-out's table write without a POST.
  IX_WEBHOOKS: '[]',
  BENCH_FLOOR_API_KEY: sandbox.apiKey,
};
// The registry and fan-out functions work on one registered account (its own sandbox account and secret).
const registered = benchAccounts({
  addToSandbox: (name, options) => sandbox.addAccount(name, options),
  dynamo: localAws.dynamo.client,
  tableName: localAws.dynamo.tableName,
  secretsManagerUrl: localAws.secretsManager.url,
  stage: 'bench',
});
await registered.add(BENCH_ACCOUNT.name, { apiKey: BENCH_ACCOUNT.apiKey });
registered.close();
const everyAccountsRequests = (): number => sandbox.accountNames().reduce((sum, name) => sum + (sandbox.account(name)?.requests.length ?? 0), 0);
const counters = { invoiceXpress: everyAccountsRequests, secretReads: () => secrets.calls };
const slowSecrets = await startDelayingProxy(secrets.url, SECRETS_LATENCY_MS);

const functionVariant = (name: string, file: string, label = name, env?: Record<string, string>): ColdVariant => {
  const event = FUNCTION_EVENTS[name];
  const expectedAnswer = EXPECTED_ANSWER[name];
  if (event === undefined || expectedAnswer === undefined) throw new Error(`bench: no event for function ${name}`);
  const invoiceXpress = INVOICEXPRESS_CALLS[name] ?? 1;
  // A function that does not call InvoiceXpress never reads the secret (infra/constructs/functions.ts).
  const secretReads = SECRET_READS[name] ?? (FUNCTION_SPECS.find((spec) => spec.entry === name)?.invoiceXpress === false ? 0 : 1);
  return { label, functionName: name, file, event, expectedAnswer, expectedCalls: { invoiceXpress, secretReads }, ...(env ? { env } : {}) };
};
const floorVariant: ColdVariant = {
  label: 'floor',
  functionName: 'floor',
  file: floor.file,
  event: () => null,
  expectedAnswer: 200,
  expectedCalls: { invoiceXpress: 1, secretReads: 0 },
};
const floorSecretVariant: ColdVariant = { ...floorVariant, label: 'floor-secret', file: floorSecret.file, expectedCalls: { invoiceXpress: 1, secretReads: 1 } };
const deployed = functions.map((report) => functionVariant(report.name, report.file));
const changeVariants = CHANGE_VARIANTS.map((variant) => {
  const file = (changes.get(variant.name) ?? functions.find((report) => report.name === CHANGE_FUNCTION))?.file ?? '';
  const env = { ...variant.env, ...(variant.slowSecrets === true ? { AWS_ENDPOINT_URL_SECRETS_MANAGER: slowSecrets.url } : {}) };
  return functionVariant(CHANGE_FUNCTION, file, variant.label, env);
});
const partVariants = ATTRIBUTION_VARIANTS.map((variant, index) =>
  functionVariant(CHANGE_FUNCTION, parts[index]?.file ?? '', `${variant.how === 'removed' ? 'without' : 'floor + secret read with'} ${variant.part}`),
);
const variants = [floorVariant, floorSecretVariant, ...deployed, ...changeVariants, ...partVariants];

const loadBefore = loadavg()[0] ?? 0;
let cold: Map<ColdVariant, ColdSample[]>;
let warm: Awaited<ReturnType<typeof measureWarm>>;
try {
  log(`cold: ${String(variants.length)} variants × ${String(ROUNDS)} rounds, a fresh process each…`);
  cold = await coldRounds(harness.file, variants, ROUNDS, functionEnv, counters, {
    fillCache: !quick,
    onRound: (round) => {
      // Back to the seeded state, so list answers do not grow with the series create made.
      sandbox.reset();
      if (!quick && (round + 1) % 5 === 0) log(`  round ${String(round + 1)}/${String(ROUNDS)}`);
    },
  });
  log(`warm: ${String(WARM.timedRequests)} timed pairs, then ${String(WARM.heapRequests)} requests for the heap…`);
  const bareOptions = { module: bare.file, accountName: sandbox.accountName, apiKey: sandbox.apiKey, baseUrl: sandbox.url };
  const getSequence = functions.find((report) => report.name === 'get-sequence');
  warm = await measureWarm({ handlerModule: getSequence?.file ?? '', functionName: 'get-sequence', bare: bareOptions, ...WARM }, functionEnv);
} finally {
  await Promise.all([sandbox.close(), localAws.close(), slowSecrets.close()]);
}
const timeZoneFormatterMs = probeTimeZoneFormatter(quick ? 1 : TIME_ZONE_PROBES);
const NOTIFICATION_PLAN = { events: quick ? 30 : 300, gapMs: 20 };
log(`notifications: ${String(NOTIFICATION_PLAN.events)} events, change to first attempt through the local queue…`);
const notifications = { ...(await measureChangeToFirstAttempt(NOTIFICATION_PLAN)), gapMs: NOTIFICATION_PLAN.gapMs };
log('families: InvoiceXpress calls per family for a prepare and an activation…');
const familyCalls = await measureFamilyCalls();
const FANOUT_PLAN = quick ? { accounts: 20, latencyMs: 20, concurrencies: [4] } : { accounts: 1_000, latencyMs: 100, concurrencies: [16, 64] };
log(`many accounts: ${String(FANOUT_PLAN.accounts)} accounts, concurrency ${FANOUT_PLAN.concurrencies.join(' and ')}, then 5% unhealthy…`);
const fanout = await measureFanoutInChild(FANOUT_PLAN);

/** bench/accounts-fanout.ts in a process of its own (the functions' AWS clients are per process, from its environment). */
async function measureFanoutInChild(plan: { accounts: number; latencyMs: number; concurrencies: number[] }): Promise<FanoutReport> {
  const out = join(tmpdir(), `ix-sequences-fanout-${String(process.pid)}.json`);
  const args = ['--accounts', String(plan.accounts), '--latency', String(plan.latencyMs), '--concurrency', plan.concurrencies.join(','), '--out', out];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/accounts-fanout.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`bench/accounts-fanout.ts exited ${String(code)}`))));
  });
  const report = JSON.parse(readFileSync(out, 'utf8')) as FanoutReport;
  rmSync(out, { force: true });
  return report;
}

const rowOf = (variant: ColdVariant, report?: BundleReport): ColdRow => {
  const samples = cold.get(variant) ?? [];
  const firstResponse = samples.map((sample) => sample.firstResponseMs);
  return {
    label: variant.label,
    functionName: variant.functionName,
    median: median(firstResponse),
    p90: percentile(firstResponse, 90),
    initMedian: median(samples.map((sample) => sample.initMs)),
    samples: firstResponse,
    bundle: report,
  };
};
const data: BenchData = {
  quick,
  date: new Date().toISOString().slice(0, 10),
  node: process.version,
  machine: { cores: cpus().length, model: cpus()[0]?.model.trim() ?? 'unknown', load: [loadBefore, loadavg()[0] ?? 0] },
  rounds: ROUNDS,
  floor: rowOf(floorVariant, floor),
  floorSecret: rowOf(floorSecretVariant, floorSecret),
  functions: deployed.map((variant, index) => rowOf(variant, functions[index])),
  changes: changeVariants.map((variant, index) => {
    const change = CHANGE_VARIANTS[index];
    return {
      ...rowOf(variant, change ? changes.get(change.name) : undefined),
      change: change?.change ?? '',
      status: change?.status ?? 'kept',
      comparedWith: change?.comparedWith,
    };
  }),
  attribution: partVariants.map((variant, index) => {
    const part = ATTRIBUTION_VARIANTS[index];
    return { ...rowOf(variant, parts[index]), part: part?.part ?? '', how: part?.how ?? 'removed' };
  }),
  warm,
  notifications,
  familyCalls,
  fanout,
  warmPlan: WARM,
  timeZoneFormatterMs,
};
if (flags.data !== undefined) writeFileSync(flags.data, JSON.stringify(data));
const text = renderReport(data);
writeFileSync(flags.out, text);
process.stdout.write(`${text}\nwritten to ${flags.out}\n`);
