import { readFileSync } from 'node:fs';
import { OWN_COST_TARGET } from './attribution.ts';
import type { BundleReport } from './bundle.ts';
import { median } from './stats.ts';
import type { WarmRequest, WarmResult } from './warm.ts';
import type { ChangeToFirstAttempt } from './notifications.ts';
import type { FamilyCalls } from './family-calls.ts';
import type { FanoutReport } from './accounts-fanout.ts';

/**
 * docs/benchmarks.md from one bench run: the tables are built here, the prose (and what the figures
 * conclude) is bench/report.template.md, filled with the run's figures.
 */

export interface ColdRow {
  label: string;
  functionName: string;
  /** First response, ms. */
  median: number;
  p90: number;
  /** End of init (bundle imported), ms from spawning. */
  initMedian: number;
  /** First response of each round, in round order (sample i of every row is from round i). */
  samples: number[];
  bundle?: BundleReport | undefined;
}

interface ChangeRow extends ColdRow {
  change: string;
  status: 'kept' | 'tried' | 'reference';
  /** The reference row's `change` it is compared with (default: the deployed function). */
  comparedWith?: string | undefined;
}

interface AttributionRow extends ColdRow {
  part: string;
  how: 'removed' | 'added';
}

export interface BenchData {
  quick: boolean;
  date: string;
  node: string;
  /** load: the 1-minute load average when the run started and ended. */
  machine: { cores: number; model: string; load: [number, number] };
  rounds: number;
  floor: ColdRow;
  floorSecret: ColdRow;
  functions: ColdRow[];
  /** get-sequence with a kept change undone, or a tried one applied. */
  changes: ChangeRow[];
  /** get-sequence without one of its parts (or floor + secret read with it): bench/attribution.ts. */
  attribution: AttributionRow[];
  warm: WarmResult;
  /** First Intl.DateTimeFormat with a time zone in a fresh process, ms (median of TIME_ZONE_PROBES). */
  timeZoneFormatterMs?: number | undefined;
  warmPlan: Pick<WarmRequest, 'warmupRequests' | 'timedRequests' | 'heapRequests'>;
  notifications: ChangeToFirstAttempt & { gapMs: number };
  familyCalls: FamilyCalls[];
  fanout: FanoutReport;
}

/** Fresh processes the time-zone probe runs. */
export const TIME_ZONE_PROBES = 5;

/** The cold, warm and heap targets: reported, never asserted in timed tests. */
const TARGETS = { apiRatio: 1.7, rolloverRatio: 1.9, warmRatio: 1.2, heapGrowthBytes: 5 * 1024 * 1024 };

const ROLLOVER_FUNCTIONS = new Set(['rollover-run', 'rollover-status', 'rollover-run-record', 'rollover-scheduled']);
const EVENTS: Record<string, string> = {
  'list-sequences': 'GET /sequences',
  'get-sequence': 'GET /sequences/{id}',
  'create-sequence': 'POST /sequences (new serie)',
  'register-sequence': 'PUT /sequences/{id}/register (already registered)',
  'set-current-sequence': 'PUT /sequences/{id}/set_current (already default)',
  'rollover-run': 'POST /rollover verify 2022 (list and get; the run recorded)',
  'rollover-status': "GET /rollover/{year} (list; the year's runs queried)",
  'rollover-run-record': 'GET /rollover/runs/{runId} (not on record: the table only)',
  'rollover-scheduled': 'Scheduler payload, verify 2022 (list and get; the run recorded)',
};

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const fineMs = (value: number): string => `${value.toFixed(3)} ms`;
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const ratio = (value: number): string => `${value.toFixed(2)}×`;
const signed = (value: number): string => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(1)} ms`;
const mark = (ok: boolean): string => (ok ? 'yes' : '**no**');

/** The template's blocks by name ("<!-- name -->" up to the next such line). */
const TEMPLATE: ReadonlyMap<string, string> = (() => {
  const text = readFileSync(new URL('report.template.md', import.meta.url), 'utf8');
  const blocks = new Map<string, string>();
  for (const part of text.split(/^<!-- (?=[A-Za-z]+ -->$)/m).slice(1)) {
    const [name = '', ...lines] = part.split('\n');
    blocks.set(name.replace(/ -->$/, ''), lines.join('\n').trim());
  }
  return blocks;
})();

/** A template block with its placeholders filled; a block or value missing is a bug, so it throws. */
function prose(name: string, values: Record<string, string> = {}): string {
  const block = TEMPLATE.get(name);
  if (block === undefined) throw new Error(`bench/report.template.md has no block ${name}`);
  return block.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`bench/report.template.md: no value for {{${key}}} in ${name}`);
    return value;
  });
}

function targetOf(functionName: string): number {
  return ROLLOVER_FUNCTIONS.has(functionName) ? TARGETS.rolloverRatio : TARGETS.apiRatio;
}

function coldSection(data: BenchData): string[] {
  const floor = data.floor.median;
  const row = (label: string, event: string, r: ColdRow, target?: number): string => {
    const medianRatio = r.median / floor;
    const verdict = target === undefined ? '' : `≤ ${ratio(target)} | ${mark(medianRatio <= target)}`;
    return `| ${label} | ${event} | ${ms(r.initMedian)} | ${ms(r.median)} | ${ms(r.p90)} | ${ratio(medianRatio)} | ${ratio(r.p90 / data.floor.p90)} | ${verdict || ' | '} |`;
  };
  return [
    prose('cold', { rounds: String(data.rounds) }),
    '',
    '| function | event | init (median) | first response: median | p90 | median ÷ floor | p90 ÷ floor | target | met |',
    '|---|---|---|---|---|---|---|---|---|',
    row('floor: one `fetch`', 'any', data.floor),
    row('floor + secret read (AWS SDK bundled, nothing of ours)', 'any', data.floorSecret),
    ...data.functions.map((r) => row(r.functionName, EVENTS[r.functionName] ?? '', r, targetOf(r.functionName))),
    '',
    prose('coldNote', { apiTarget: ratio(TARGETS.apiRatio), rolloverTarget: ratio(TARGETS.rolloverRatio) }),
    '',
  ];
}

/** Median over rounds of (row − base) taken in the same round: robust to drift between rounds. */
function pairedDifference(row: ColdRow, base: ColdRow): number {
  return median(row.samples.map((value, round) => value - (base.samples[round] ?? Number.NaN)));
}

function changesSection(data: BenchData): string[] {
  const deployed = data.functions.find((r) => r.functionName === 'get-sequence');
  if (deployed === undefined) return [];
  const baseOf = (r: ChangeRow): ColdRow => data.changes.find((c) => c.change === r.comparedWith) ?? deployed;
  // Kept: the variant undoes the change (it pays if the variant is slower). Tried: it applies it.
  const saves = (r: ChangeRow): number => {
    const difference = pairedDifference(r, baseOf(r));
    return r.status === 'kept' ? difference : -difference;
  };
  const kept = (r: ChangeRow): string => ({ kept: 'yes', tried: 'no', reference: '' })[r.status];
  return [
    prose('changes'),
    '',
    '| change | kept | variant | its median | its p90 | compared with (median) | saves (paired) |',
    '|---|---|---|---|---|---|---|',
    ...data.changes.map(
      (r) =>
        `| ${r.change} | ${kept(r)} | ${r.label} | ${ms(r.median)} | ${ms(r.p90)} | ${r.status === 'reference' ? '' : `${r.comparedWith ?? 'deployed'} (${ms(baseOf(r).median)})`} | ${r.status === 'reference' ? '' : signed(saves(r))} |`,
    ),
    '',
    ...triedVerdict(data, saves),
  ];
}

/** A tried change is worth another look when it saves more than this in a full run. */
const WORTH_A_LOOK_MS = 2;

function triedVerdict(data: BenchData, saves: (r: ChangeRow) => number): string[] {
  const tried = data.changes.filter((r) => r.status === 'tried');
  if (tried.length === 0 || data.quick) return [];
  const figures = tried.map((r) => `${signed(saves(r))} (${r.change})`).join(', ');
  const pays = tried.some((r) => saves(r) > WORTH_A_LOOK_MS);
  const verdict = pays ? prose('earlySecretPays', { figures }) : prose('earlySecretNoPay', { figures, worthMs: String(WORTH_A_LOOK_MS) });
  return [prose('earlySecret', { verdict }), ''];
}

function attributionSection(data: BenchData): string[] {
  const deployed = data.functions.find((r) => r.functionName === 'get-sequence');
  if (deployed === undefined || data.attribution.length === 0) return [];
  const own = pairedDifference(deployed, data.floorSecret);
  const costOf = (r: AttributionRow): number => (r.how === 'removed' ? pairedDifference(deployed, r) : pairedDifference(r, data.floorSecret));
  const handler = own - data.attribution.reduce((sum, r) => sum + costOf(r), 0);
  const share = (value: number): string => (own > 0 ? `${((100 * value) / own).toFixed(0)} %` : '');
  const ownRatio = deployed.median / data.floorSecret.median;
  const met = data.quick ? 'not judged in a quick run' : mark(ownRatio <= OWN_COST_TARGET);
  return [
    prose('attribution'),
    '',
    '| part | measured by | variant median | cost (paired) | share of own cost |',
    '|---|---|---|---|---|',
    `| own cost: get-sequence − floor + secret read | | ${ms(deployed.median)} | ${signed(own)} | 100 % |`,
    ...data.attribution.map(
      (r) =>
        `| ${r.part} | ${r.how === 'removed' ? 'removed' : 'added to floor + secret read'} | ${ms(r.median)} | ${signed(costOf(r))} | ${share(costOf(r))} |`,
    ),
    `| the handler (the rest) | own cost − the parts | | ${signed(handler)} | ${share(handler)} |`,
    '',
    prose('attributionVerdict', { ratio: ratio(ownRatio), target: ratio(OWN_COST_TARGET), met }),
    '',
  ];
}

const callsText = (calls: Record<string, number>): string =>
  Object.entries(calls)
    .filter(([, count]) => count > 0)
    .map(([operation, count]) => `${operation} ${String(count)}`)
    .join(', ') || 'none';
const callCount = (calls: Record<string, number>): number => Object.values(calls).reduce((sum, count) => sum + count, 0);

function familyCallsSection({ familyCalls }: BenchData): string[] {
  const activate = familyCalls.find((run) => run.phase === 'activate');
  const total = activate === undefined ? 0 : callCount(activate.run) + activate.families.reduce((sum, entry) => sum + callCount(entry.calls), 0);
  const target = activate === undefined ? 0 : 1 + activate.families.length + 1;
  const families = familyCalls[0]?.families.map((entry) => entry.family) ?? [];
  return [
    prose('familyCalls', { target: String(target), total: String(total), met: total <= target ? 'met' : '**not met**' }),
    '',
    `| run | the run | ${families.join(' | ')} |`,
    `|---|---|${families.map(() => '---|').join('')}`,
    ...familyCalls.map(
      (run) =>
        `| ${run.phase} 2027 | ${callsText(run.run)} | ${run.families.map((entry) => `${entry.serie} ${entry.outcome}: ${callsText(entry.calls)}`).join(' | ')} |`,
    ),
    '',
  ];
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
/**
 * AWS SDK calls one account's worker run makes (prepare or activate, nothing to republish): DynamoDB
 * 15 (claim, registry record, lock, running record, a budget spend per InvoiceXpress call (3), the
 * outbox's query, event numbers, finished record, outbox marked, lock released, year-end status,
 * claim done, dispatch count), Secrets Manager 1, SQS 3 (receive, the events, delete).
 */
const SDK_CALLS_PER_ACCOUNT = 19;

function fanoutSection({ fanout }: BenchData): string[] {
  const { plan, runs, unhealthy } = fanout;
  const cpu = runs.reduce((sum, run) => sum + run.cpuMsPerAccount, 0) / Math.max(1, runs.length);
  const target = (phase: string): number => (phase === 'prepare' ? 4 : 3);
  const kinds = [...new Set(unhealthy.named.map((entry) => entry.kind))].map(
    (kind) => `${kind} ${String(unhealthy.named.filter((entry) => entry.kind === kind).length)}`,
  );
  return [
    prose('fanout', { accounts: String(plan.accounts), latency: String(plan.latencyMs) }),
    '',
    '| concurrency | phase | wall | ideal | wall ÷ ideal (≤ 1.5×) | CPU floor | calls per account, mean / max (target) | lost | run twice |',
    '|---|---|---|---|---|---|---|---|---|',
    ...runs.map((run) => {
      const ratio = run.wallMs / run.idealMs;
      return `| ${String(run.concurrency)} | ${run.phase} | ${seconds(run.wallMs)} | ${seconds(run.idealMs)} | ${ratio.toFixed(2)}× ${ratio <= 1.5 ? 'met' : '**not met**'} | ${seconds(run.accounts * run.cpuMsPerAccount)} | ${run.meanCalls.toFixed(2)} / ${String(run.maxCalls)} (≤ ${String(target(run.phase))}: ${run.maxCalls <= target(run.phase) ? 'met' : '**not met**'}) | ${String(run.lost.length)} | ${String(run.twice.length)} |`;
    }),
    '',
    prose('fanoutUnhealthy', {
      share: `${String(Math.round(plan.unhealthyShare * 100))}%`,
      accounts: String(unhealthy.accounts),
      concurrency: String(unhealthy.concurrency),
      counts: Object.entries(unhealthy.counts)
        .map(([status, count]) => `${status} ${String(count)}`)
        .join(', '),
      healthyNotReady: String(unhealthy.healthyNotReady.length),
      named: String(unhealthy.named.length),
      expected: String(unhealthy.expectedNamed),
      kinds: kinds.join(', ') || 'none',
      wall: seconds(unhealthy.wallMs),
      deadLetters: String(fanout.deadLetters),
    }),
    '',
    prose('fanoutCpu', {
      maxConcurrency: String(Math.max(...plan.concurrencies)),
      cpu: cpu.toFixed(1),
      sdkCalls: String(SDK_CALLS_PER_ACCOUNT),
      ceiling: String(Math.round(1000 / Math.max(cpu, 0.001))),
    }),
    '',
  ];
}

function notificationsSection({ notifications: n }: BenchData): string[] {
  return [
    prose('notifications', { events: String(n.events), gapMs: String(n.gapMs) }),
    '',
    '| | p50 | p99 | max |',
    '|---|---|---|---|',
    `| change → first attempt | ${n.p50Ms.toFixed(1)} ms | ${n.p99Ms.toFixed(1)} ms | ${n.maxMs.toFixed(1)} ms |`,
    `| of which the publisher | ${n.publishP50Ms.toFixed(1)} ms | ${n.publishP99Ms.toFixed(1)} ms | |`,
    '',
  ];
}

function warmSection(data: BenchData): string[] {
  const { warm } = data;
  const lines = [prose('warmHeading'), ''];
  if (warm.handler && warm.bare) {
    const p50Ratio = warm.handler.p50 / warm.bare.p50;
    lines.push(
      prose('warm', { timedRequests: String(data.warmPlan.timedRequests), warmupRequests: String(data.warmPlan.warmupRequests) }),
      '',
      `| | p50 | p99 |`,
      '|---|---|---|',
      `| handler | ${fineMs(warm.handler.p50)} | ${fineMs(warm.handler.p99)} |`,
      `| bare client call | ${fineMs(warm.bare.p50)} | ${fineMs(warm.bare.p99)} |`,
      `| ratio | ${ratio(p50Ratio)} (target ≤ ${ratio(TARGETS.warmRatio)}: ${mark(p50Ratio <= TARGETS.warmRatio)}) | ${ratio(warm.handler.p99 / warm.bare.p99)} |`,
      '',
    );
  }
  const checkpoints = warm.heap.checkpoints.map((c) => `${String(c.requests)}: ${mib(c.growthBytes)}`).join(', ');
  const heap = {
    baseHeap: mib(warm.heap.baseBytes),
    heapRequests: String(data.warmPlan.heapRequests),
    growth: mib(warm.heap.growthBytes),
    heapTarget: mib(TARGETS.heapGrowthBytes),
    met: mark(warm.heap.growthBytes <= TARGETS.heapGrowthBytes),
    checkpoints,
  };
  lines.push(prose('heap', heap), '');
  return lines;
}

function bundlesSection(data: BenchData): string[] {
  const rows = [data.floor, data.floorSecret, ...data.functions];
  return [
    prose('bundles'),
    '',
    '| bundle | index.mjs | index.mjs.map | largest parts |',
    '|---|---|---|---|',
    ...rows.map((r) => {
      const b = r.bundle;
      if (b === undefined) return `| ${r.label} | | | |`;
      return `| ${b.name} | ${kib(b.bytes)} | ${kib(b.mapBytes)} | ${b.top.map((part) => `${part.source} ${kib(part.bytes)}`).join(', ')} |`;
    }),
    '',
  ];
}

/** The first-response targets missed: the SDK's share and ours, from this run's own figures. */
function missedFirstResponse(data: BenchData): string[] {
  const floor = data.floor.median;
  const slow = data.functions.filter((r) => r.median / floor > targetOf(r.functionName));
  if (slow.length === 0) return [];
  const apiBudget = TARGETS.apiRatio * floor;
  const apiRows = data.functions.filter((r) => !ROLLOVER_FUNCTIONS.has(r.functionName));
  const notes = [
    prose('missedFirstResponse', {
      slow: slow.map((r) => r.functionName).join(', '),
      sdk: ms(data.floorSecret.median - floor),
      sdkRatio: ratio(data.floorSecret.median / floor),
      ours: slow.map((r) => `${r.functionName} ${signed(r.median - data.floorSecret.median)}`).join(', '),
      apiTarget: ratio(TARGETS.apiRatio),
      apiBudget: ms(apiBudget),
      apiLeft: ms(apiBudget - data.floorSecret.median),
      apiStack: ms(Math.min(...apiRows.map((r) => r.median - data.floorSecret.median))),
    }),
  ];
  if (data.timeZoneFormatterMs !== undefined) {
    notes.push(prose('missedTimeZone', { ms: ms(data.timeZoneFormatterMs), probes: String(TIME_ZONE_PROBES) }));
  }
  return notes;
}

/** Why a target is missed, from this run's own figures. */
function missedSection(data: BenchData): string[] {
  if (data.quick) return [prose('targetsQuick'), ''];
  const notes = missedFirstResponse(data);
  const { handler, bare } = data.warm;
  if (handler && bare && handler.p50 / bare.p50 > TARGETS.warmRatio) {
    notes.push(prose('missedWarm', { extra: fineMs(handler.p50 - bare.p50) }));
  }
  const { growthBytes } = data.warm.heap;
  if (growthBytes > TARGETS.heapGrowthBytes) {
    const perRequest = (growthBytes / data.warmPlan.heapRequests / 1024).toFixed(1);
    notes.push(prose('missedHeap', { growth: mib(growthBytes), requests: String(data.warmPlan.heapRequests), perRequest }));
  }
  return notes.length > 0 ? [prose('targetsMissed'), '', ...notes, ''] : [prose('targetsMet'), ''];
}

export function renderReport(data: BenchData): string {
  const intro = prose('intro', {
    quickNote: data.quick ? ' **in quick mode (one round, few warm requests: figures not meaningful)**' : '',
    date: data.date,
    node: data.node,
    cores: String(data.machine.cores),
    model: data.machine.model,
    loadStart: data.machine.load[0].toFixed(1),
    loadEnd: data.machine.load[1].toFixed(1),
  });
  const overloaded = Math.max(...data.machine.load) > data.machine.cores;
  return [
    intro,
    '',
    ...(overloaded ? [prose('overloaded', { cores: String(data.machine.cores) }), ''] : []),
    ...coldSection(data),
    ...changesSection(data),
    ...attributionSection(data),
    ...warmSection(data),
    ...missedSection(data),
    ...notificationsSection(data),
    ...familyCallsSection(data),
    ...fanoutSection(data),
    ...bundlesSection(data),
    prose('symbolication'),
    '',
  ].join('\n');
}
