import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalRolloverWorker } from '../local/rollover-worker.ts';
import type { SandboxAccountOptions } from '../sandbox/types.ts';
import { createDispatchService } from '../shared/fanout/dispatch-service.ts';
import { createRunTable } from '../shared/rollover/run-table.ts';
import { changeableYears } from '../shared/rollover/time.ts';
import { dynamoDbYearEndStore } from '../shared/rollover/year-end.ts';
import type { YearEndAccount } from '../shared/rollover/year-end-status.ts';
import { forEachLimited } from '../shared/runtime/concurrency.ts';
import { BENCH_BUDGET } from './budget-env.ts';
import type { FanoutPeers } from './fanout-peers.ts';
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
 * Runs as a process of its own (`npm run bench:accounts`, or from `npm run bench` with --out): the
 * functions' AWS clients are per process and read their endpoints from its environment. Its peers
 * (the sandbox, dynalite, SQS, Secrets Manager: other machines in AWS) run in a second process
 * (bench/fanout-peers.ts), reached over loopback HTTP as the functions reach AWS.
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
  /** CPU time of the workers' process (their peers run in another) per account run. */
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

/** The sandbox's control endpoint for one account (the sandbox is in the peers' process). */
class SandboxAccounts {
  readonly #controlUrl: string;
  constructor(controlUrl: string) {
    this.#controlUrl = controlUrl;
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.#controlUrl}/accounts/${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!response.ok) throw new Error(`sandbox control ${method} ${path} answered ${String(response.status)}`);
    return response.json();
  }

  add = (name: string, options: SandboxAccountOptions): Promise<unknown> => this.#call('PUT', name, options);
  rekey = (name: string, apiKey: string): Promise<unknown> => this.#call('PUT', name, { apiKey });
  setAt = (name: string, at: Record<string, string>): Promise<unknown> => this.#call('PATCH', `${name}/at`, at);
  setLatency = (name: string, ms: number): Promise<unknown> => this.#call('PUT', `${name}/latency`, { ms });
  clearRequests = (name: string): Promise<unknown> => this.#call('DELETE', `${name}/requests`);
  async requests(name: string): Promise<{ operation: string }[]> {
    return ((await this.#call('GET', `${name}/requests`)) as { requests: { operation: string }[] }).requests;
  }
}

interface Bench {
  peers: FanoutPeers;
  env: Record<string, string>;
  dynamo: DynamoDBClient;
  sandbox: SandboxAccounts;
  accounts: BenchAccounts;
  year: number;
}

/** Every name's `work`, 16 at a time (the sandbox's control endpoint and the loopback AWS are the other process's). */
const eachOf = (names: readonly string[], work: (name: string) => Promise<unknown>): Promise<void> => forEachLimited(names, 16, work);

const POLL_MS = 250;
const pad = (n: number): string => String(n).padStart(4, '0');

async function register(bench: Bench, names: readonly string[], latencyMs: number): Promise<void> {
  await eachOf(names, (name) => bench.accounts.add(name, { apiKey: `k-${name}-bench` }));
  await eachOf(names, (name) => bench.sandbox.setLatency(name, latencyMs));
}

/** Waits until every account has a year-end entry from a run that started after `since`, `done` saying when it counts. */
async function drained(bench: Bench, names: readonly string[], done: (entry: YearEndAccount) => boolean, timeoutMs: number): Promise<YearEndAccount[]> {
  const yearEnd = dynamoDbYearEndStore({ tableName: bench.peers.tableName, client: bench.dynamo });
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
  const runs = createRunTable({ tableName: bench.peers.tableName, client: bench.dynamo });
  const operation = phase === 'prepare' ? 'create' : 'set_current';
  const rows = await Promise.all(
    names.map(async (name) => {
      const recent = await runs.recentRuns({ account: name, year: bench.year }, 10);
      const ran = recent.filter((run) => run.phase === phase && Date.parse(run.startedAt) >= since).length;
      const requests = await bench.sandbox.requests(name);
      return { name, ran, calls: requests.length, changes: requests.filter((request) => request.operation === operation).length };
    }),
  );
  return rows;
}

async function runPhase(bench: Bench, names: readonly string[], phase: FanoutRun['phase'], concurrency: number, latencyMs: number): Promise<FanoutRun> {
  await eachOf(names, (name) => bench.sandbox.clearRequests(name));
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
  await register(bench, names, plan.latencyMs);
  const worker = await startWorker(bench, concurrency);
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
  await register(bench, names, plan.latencyMs);
  const every = Math.round(1 / plan.unhealthyShare);
  const sick = names.filter((_, index) => index % every === every - 1);
  await eachOf(sick, (name) =>
    sick.indexOf(name) % 2 === 0 ? bench.sandbox.rekey(name, `k-${name}-changed`) : bench.sandbox.setAt(name, { onRegister: 'account_failure' }),
  );
  const worker = await startWorker(bench, concurrency);
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

/** The worker's event source, on the peers' rollover queue: `concurrency` handlers, one message each. */
function startWorker(bench: Bench, concurrency: number) {
  const { sqsUrl, queueArn } = bench.peers;
  const queues = { queueUrl: bench.env['ROLLOVER_QUEUE_URL'] ?? '', sqs: { url: sqsUrl, arnOf: () => queueArn } };
  return startLocalRolloverWorker({ queues, handler: 'fresh', concurrency, env: bench.env });
}

/** Starts bench/fanout-peers.ts and reads its one line. */
async function startPeers(): Promise<{ peers: FanoutPeers; child: ChildProcess }> {
  const child = spawn(process.execPath, [new URL('./fanout-peers.ts', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout ?? process.stdin });
  for await (const line of lines) return { peers: JSON.parse(line) as FanoutPeers, child };
  throw new Error('bench/fanout-peers.ts ended before it said where its peers are');
}

async function deadLetters(bench: Bench): Promise<number> {
  const sqs = new SQSClient({ endpoint: bench.peers.sqsUrl, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const answer = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: bench.peers.deadLetterQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  sqs.destroy();
  return Number(answer.Attributes?.['ApproximateNumberOfMessages'] ?? 0);
}

export async function measureAccountsFanout(plan: FanoutPlan, log: (line: string) => void): Promise<FanoutReport> {
  const { peers, child } = await startPeers();
  // As the stack configures the functions, on the peers; quiet (a JSON line per run would be most of the time).
  const env: Record<string, string> = { ...peers.environment, ...BENCH_BUDGET(peers.tableName), IX_TIMEOUT_MS: '8000', POWERTOOLS_LOG_LEVEL: 'SILENT' };
  Object.assign(process.env, env);
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const dynamo = new DynamoDBClient({ endpoint: env['AWS_ENDPOINT_URL_DYNAMODB'], region: 'eu-west-1', credentials });
  const sandbox = new SandboxAccounts(peers.controlUrl);
  const accounts = benchAccounts({
    addToSandbox: (name, options) => sandbox.add(name, options),
    dynamo,
    tableName: peers.tableName,
    secretsManagerUrl: env['AWS_ENDPOINT_URL_SECRETS_MANAGER'] ?? '',
    stage: 'bench',
  });
  const bench: Bench = { peers, env, dynamo, sandbox, accounts, year: changeableYears(new Date())[1] };
  try {
    const runs: FanoutRun[] = [];
    for (const concurrency of plan.concurrencies) runs.push(...(await healthyRuns(bench, plan, concurrency, log)));
    log(`  unhealthy: ${String(plan.accounts)} accounts, ${String(Math.round(plan.unhealthyShare * 100))}% unhealthy…`);
    const unhealthy = await unhealthyRun(bench, plan, plan.concurrencies[0] ?? 16);
    return { plan, year: bench.year, runs, unhealthy, deadLetters: await deadLetters(bench) };
  } finally {
    accounts.close();
    dynamo.destroy();
    child.stdin?.end();
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
