import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startLocalAws } from '../local/local-aws.ts';
import type { LocalAws } from '../local/local-aws.ts';
import { startLocalRolloverWorker } from '../local/rollover-worker.ts';
import { startSandbox } from '../sandbox/server.ts';
import type { Sandbox } from '../sandbox/types.ts';
import { createDispatchService } from '../shared/fanout/dispatch-service.ts';
import { createRunTable } from '../shared/rollover/run-table.ts';
import { changeableYears } from '../shared/rollover/time.ts';
import { dynamoDbYearEndStore } from '../shared/rollover/year-end.ts';
import type { YearEndAccount } from '../shared/rollover/year-end-status.ts';
import { BENCH_BUDGET } from './budget-env.ts';
import { benchAccounts } from './registered-accounts.ts';
import type { BenchAccounts } from './registered-accounts.ts';

/**
 * The rollover of many registered accounts (issue 20), through the path AWS runs: a dispatch puts
 * one message per account on the (loopback) rollover queue, the worker's handler runs each
 * account's locked run `concurrency` at a time (like the event source's maxConcurrency), against
 * sandbox accounts that each answer after `latencyMs` (InvoiceXpress's latency) and keep their own
 * request log. Measured: wall time from the dispatch to the last account's year-end status, against
 * the ideal (accounts × calls per account × latency ÷ concurrency), the InvoiceXpress calls per
 * account, and that no account was lost or run twice; then, with a share of the accounts unhealthy
 * (half with a key InvoiceXpress now refuses, half with AT failing for the whole account), that the
 * others finish and those are named with their cause.
 *
 * Runs as a process of its own (`npm run bench:accounts`, or from `npm run bench` with --json): the
 * functions' AWS clients are per process and read their endpoints from its environment.
 */

export interface FanoutPlan {
  accounts: number;
  latencyMs: number;
  concurrencies: readonly number[];
  /** Of the accounts in the last run, the share made unhealthy (0.05). */
  unhealthyShare: number;
}

export interface FanoutRun {
  concurrency: number;
  phase: 'prepare' | 'activate';
  accounts: number;
  wallMs: number;
  meanCalls: number;
  maxCalls: number;
  idealMs: number;
  /** Accounts with no run of the phase on record. */
  lost: string[];
  /** Accounts with more than one run of the phase (or more than one create / set_current). */
  twice: string[];
  /** CPU time of this one process (workers, dynalite, SQS, Secrets Manager and the sandbox together) per account run. */
  cpuMsPerAccount: number;
}

export interface UnhealthyRun {
  concurrency: number;
  accounts: number;
  unhealthy: number;
  counts: Record<string, number>;
  /** The healthy accounts that did not end ready. */
  healthyNotReady: string[];
  /** The unhealthy accounts the year at a glance names, with the cause's kind (before its first colon). */
  named: { account: string; kind: string }[];
  expectedNamed: number;
  wallMs: number;
}

export interface FanoutReport {
  plan: FanoutPlan;
  year: number;
  runs: FanoutRun[];
  unhealthy: UnhealthyRun;
  deadLetters: number;
}

interface Bench {
  sandbox: Sandbox;
  localAws: LocalAws;
  env: Record<string, string>;
  accounts: BenchAccounts;
  year: number;
}

const POLL_MS = 250;
const pad = (n: number): string => String(n).padStart(4, '0');

async function register(bench: Bench, names: readonly string[]): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let name = names[next++]; name !== undefined; name = names[next++]) await bench.accounts.add(name, { apiKey: `k-${name}-bench` });
  };
  await Promise.all(Array.from({ length: 16 }, lane));
}

/** Waits until every account has a year-end entry from a run that started after `since`, `done` saying when it counts. */
async function drained(bench: Bench, names: readonly string[], done: (entry: YearEndAccount) => boolean, timeoutMs: number): Promise<YearEndAccount[]> {
  const yearEnd = dynamoDbYearEndStore({ tableName: bench.localAws.dynamo.tableName, client: bench.localAws.dynamo.client });
  const wanted = new Set(names);
  const started = Date.now();
  for (;;) {
    const entries = (await yearEnd.list(bench.year)).filter((entry) => wanted.has(entry.account) && done(entry));
    if (entries.length === names.length || Date.now() - started > timeoutMs) return entries;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Runs of `phase` on record per account (the run table), and the sandbox's counts per account. */
async function audit(bench: Bench, names: readonly string[], phase: FanoutRun['phase'], since: number) {
  const runs = createRunTable({ tableName: bench.localAws.dynamo.tableName, client: bench.localAws.dynamo.client });
  const operation = phase === 'prepare' ? 'create' : 'set_current';
  const rows = await Promise.all(
    names.map(async (name) => {
      const recent = await runs.recentRuns({ account: name, year: bench.year }, 10);
      const ran = recent.filter((run) => run.phase === phase && Date.parse(run.startedAt) >= since).length;
      const requests = bench.sandbox.account(name)?.requests ?? [];
      return { name, ran, calls: requests.length, changes: requests.filter((request) => request.operation === operation).length };
    }),
  );
  return rows;
}

async function runPhase(bench: Bench, names: readonly string[], phase: FanoutRun['phase'], concurrency: number, latencyMs: number): Promise<FanoutRun> {
  for (const name of names) bench.sandbox.account(name)?.clearRequests();
  const since = Date.now();
  const cpu = process.cpuUsage();
  const [dispatched] = await createDispatchService(bench.env).dispatch({ phases: [phase], year: bench.year, trigger: 'dispatch', caller: 'bench' });
  if (dispatched?.accounts !== names.length) throw new Error(`dispatched ${String(dispatched?.accounts)} accounts, expected ${String(names.length)}`);
  const target = phase === 'prepare' ? 'ready' : 'activated';
  const entries = await drained(bench, names, (entry) => entry.phase === phase && entry.status === target, 600_000);
  const wallMs = Math.max(...entries.map((entry) => Date.parse(entry.updatedAt ?? ''))) - since;
  const used = process.cpuUsage(cpu);
  const rows = await audit(bench, names, phase, since);
  const meanCalls = rows.reduce((sum, row) => sum + row.calls, 0) / rows.length;
  return {
    concurrency,
    phase,
    accounts: names.length,
    wallMs,
    meanCalls,
    maxCalls: Math.max(...rows.map((row) => row.calls)),
    idealMs: (names.length * meanCalls * latencyMs) / concurrency,
    lost: rows.filter((row) => row.ran === 0).map((row) => row.name),
    twice: rows.filter((row) => row.ran > 1 || row.changes > 1).map((row) => row.name),
    cpuMsPerAccount: (used.user + used.system) / 1000 / names.length,
  };
}

/** Prepare then activate N fresh accounts with `concurrency` workers. */
async function healthyRuns(bench: Bench, plan: FanoutPlan, concurrency: number, log: (line: string) => void): Promise<FanoutRun[]> {
  const names = Array.from({ length: plan.accounts }, (_, i) => `c${String(concurrency)}-${pad(i + 1)}`);
  await register(bench, names);
  for (const name of names) bench.sandbox.account(name)?.setLatency(plan.latencyMs);
  const worker = await startLocalRolloverWorker({ queues: bench.localAws.rollover, handler: 'fresh', concurrency, env: bench.env });
  try {
    const runs: FanoutRun[] = [];
    for (const phase of ['prepare', 'activate'] as const) {
      log(`  ${phase}: ${String(names.length)} accounts, concurrency ${String(concurrency)}…`);
      runs.push(await runPhase(bench, names, phase, concurrency, plan.latencyMs));
    }
    return runs;
  } finally {
    await worker.close();
    await bench.accounts.disable(names);
  }
}

/** A prepare where a share of the accounts cannot succeed: the rest finish, those are named. */
async function unhealthyRun(bench: Bench, plan: FanoutPlan, concurrency: number): Promise<UnhealthyRun> {
  const names = Array.from({ length: plan.accounts }, (_, i) => `u-${pad(i + 1)}`);
  await register(bench, names);
  const every = Math.round(1 / plan.unhealthyShare);
  const sick = names.filter((_, index) => index % every === every - 1);
  sick.forEach((name, index) => {
    const account = bench.sandbox.account(name);
    if (index % 2 === 0) account?.rekey(`k-${name}-changed`);
    else account?.setAt({ onRegister: 'account_failure' });
  });
  for (const name of names) bench.sandbox.account(name)?.setLatency(plan.latencyMs);
  const worker = await startLocalRolloverWorker({ queues: bench.localAws.rollover, handler: 'fresh', concurrency, env: bench.env });
  try {
    const since = Date.now();
    await createDispatchService(bench.env).dispatch({ phases: ['prepare'], year: bench.year, trigger: 'dispatch', caller: 'bench' });
    const entries = await drained(bench, names, (entry) => entry.phase === 'prepare', 600_000);
    const sickSet = new Set(sick);
    const counts: Record<string, number> = { ready: 0, failed: 0, not_started: names.length - entries.length };
    for (const entry of entries) counts[entry.status] = (counts[entry.status] ?? 0) + 1;
    return {
      concurrency,
      accounts: names.length,
      unhealthy: sick.length,
      counts,
      healthyNotReady: names.filter((name) => !sickSet.has(name) && entries.find((entry) => entry.account === name)?.status !== 'ready'),
      named: entries.filter((entry) => entry.status === 'failed').map((entry) => ({ account: entry.account, kind: (entry.cause ?? '').split(':')[0] ?? '' })),
      expectedNamed: sick.length,
      wallMs: Math.max(...entries.map((entry) => Date.parse(entry.updatedAt ?? ''))) - since,
    };
  } finally {
    await worker.close();
    await bench.accounts.disable(names);
  }
}

export async function measureAccountsFanout(plan: FanoutPlan, log: (line: string) => void): Promise<FanoutReport> {
  const sandbox = await startSandbox({ apiKey: 'bench-fanout-default-key' });
  const localAws = await startLocalAws(sandbox, 'bench');
  // As the stack configures the functions, on the loopback peers; quiet (a JSON line per run would be most of the time).
  const env = { ...localAws.environment, ...BENCH_BUDGET(localAws.dynamo.tableName), IX_TIMEOUT_MS: '8000', POWERTOOLS_LOG_LEVEL: 'SILENT' };
  Object.assign(process.env, env);
  const bench: Bench = { sandbox, localAws, env, accounts: benchAccounts(sandbox, localAws, 'bench'), year: changeableYears(new Date())[1] };
  try {
    const runs: FanoutRun[] = [];
    for (const concurrency of plan.concurrencies) runs.push(...(await healthyRuns(bench, plan, concurrency, log)));
    log(`  unhealthy: ${String(plan.accounts)} accounts, ${String(Math.round(plan.unhealthyShare * 100))}% unhealthy…`);
    const unhealthy = await unhealthyRun(bench, plan, plan.concurrencies[0] ?? 16);
    const deadLetters = localAws.rollover.sqs.bodies(localAws.rollover.deadLetterQueueUrl).length;
    return { plan, year: bench.year, runs, unhealthy, deadLetters };
  } finally {
    bench.accounts.close();
    await Promise.all([sandbox.close(), localAws.close()]);
  }
}

/** `npm run bench:accounts [-- --accounts 1000 --latency 100 --concurrency 16,64 --out report.json]` (the local event bus prints on stdout). */
if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const { values } = parseArgs({
    options: {
      accounts: { type: 'string', default: '1000' },
      latency: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '16,64' },
      unhealthy: { type: 'string', default: '0.05' },
      out: { type: 'string' },
    },
  });
  const plan: FanoutPlan = {
    accounts: Number(values.accounts),
    latencyMs: Number(values.latency),
    concurrencies: values.concurrency.split(',').map(Number),
    unhealthyShare: Number(values.unhealthy),
  };
  const report = await measureAccountsFanout(plan, (line) => process.stderr.write(`${line}\n`));
  if (values.out === undefined) process.stderr.write(`${JSON.stringify(report, null, 2)}\n`);
  else writeFileSync(values.out, JSON.stringify(report));
}
