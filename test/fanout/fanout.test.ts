import { describe, expect, it } from 'vitest';
import type { AccountRecord } from '../../shared/accounts/model.ts';
import { AccountNotFoundError } from '../../shared/accounts/sessions.ts';
import { alertOf } from '../../shared/fanout/alerts.ts';
import { dispatch } from '../../shared/fanout/dispatch.ts';
import { RolloverYearError } from '../../shared/rollover/errors.ts';
import type { DispatchClaim, DispatchMeta, DispatchStore } from '../../shared/fanout/dispatch-store.ts';
import type { RolloverMessage } from '../../shared/fanout/messages.ts';
import { RolloverMessageSchema } from '../../shared/fanout/messages.ts';
import { yearEndOverview, yearEndRows } from '../../shared/fanout/overview.ts';
import { processRolloverMessage } from '../../shared/fanout/worker.ts';
import type { WorkerDeps } from '../../shared/fanout/worker.ts';
import type { RolloverResult } from '../../shared/rollover/result.ts';
import type { RolloverOutcomeForAccount } from '../../shared/rollover/service.ts';
import type { YearEndAccount } from '../../shared/rollover/year-end-status.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';

const resolved = <T>(value: T): Promise<T> => Promise.resolve(value);

const account = (name: string, timeZone = 'Europe/Lisbon'): AccountRecord => ({
  account: name,
  timeZone,
  enabled: true,
  labels: {},
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
});

/** The dispatch store's behaviour in memory (its DynamoDB adapter has its own test: test/accounts/stores.test.ts). */
function memoryStore(): DispatchStore & {
  metas: Map<string, DispatchMeta & { done: number; sent: boolean; summarized: boolean }>;
  claimsOf: Map<string, DispatchClaim>;
} {
  const metas = new Map<string, DispatchMeta & { done: number; sent: boolean; summarized: boolean }>();
  const claimsOf = new Map<string, DispatchClaim>();
  return {
    metas,
    claimsOf,
    open: (meta) => {
      const known = metas.get(meta.dispatchId);
      if (known) return resolved(known.sent ? 'sent' : 'sending');
      metas.set(meta.dispatchId, { ...meta, done: 0, sent: false, summarized: false });
      return resolved('new');
    },
    sent: (id) => resolved(void (metas.get(id)!.sent = true)),
    claim: (id, name) => {
      const known = claimsOf.get(`${id}/${name}`);
      if (known) return resolved(known.state === 'done' ? 'done' : 'held');
      claimsOf.set(`${id}/${name}`, { account: name, state: 'claimed' });
      return resolved('claimed');
    },
    finish: (id, claim) => resolved(void claimsOf.set(`${id}/${claim.account}`, { ...claim, state: 'done' })),
    countDone: (id) => {
      const meta = metas.get(id)!;
      meta.done += 1;
      return resolved({ done: meta.done, expected: meta.expected, phase: meta.phase });
    },
    takeSummary: (id) => {
      const meta = metas.get(id)!;
      if (meta.summarized) return resolved(false);
      return resolved((meta.summarized = true));
    },
    claims: (id) => resolved([...claimsOf.entries()].filter(([key]) => key.startsWith(`${id}/`)).map(([, claim]) => claim)),
  };
}

describe('dispatch: one message per account, on the queue', () => {
  const accounts = [account('lisbon-shop'), account('azores-shop', 'Atlantic/Azores'), account('madeira-shop', 'Atlantic/Madeira')];

  /** Dispatch's dependencies over the memory store, at a fixed time, keeping what is sent. */
  function recording(now = '2026-12-05T12:00:00Z') {
    const store = memoryStore();
    const sent: RolloverMessage[] = [];
    const queue = { send: (messages: readonly RolloverMessage[]) => resolved(void sent.push(...messages)) };
    return { store, sent, deps: { accounts: () => resolved(accounts), store, queue, now: () => new Date(now) } };
  }

  it('a tick sends the accounts whose local time calls for the phase; on demand, every account; a tick delivered twice sends nothing more', async () => {
    const { store, sent, deps } = recording();
    const tick = {
      phases: ['activate', 'verify'] as const,
      scheduledTime: '2027-01-01T00:00:00.000Z',
      trigger: 'schedule' as const,
      caller: 'ix-sequences-prod-dispatch-year-end-jan',
    };
    const first = await dispatch(tick, deps);
    expect(first).toEqual([
      { dispatchId: 'activate-20270101T000000Z', phase: 'activate', accounts: 2 },
      { dispatchId: 'verify-20270101T000000Z', phase: 'verify', accounts: 0 },
    ]);
    expect(sent.map((message) => message.account)).toEqual(['lisbon-shop', 'madeira-shop']);
    expect(sent.every((message) => RolloverMessageSchema.safeParse(message).success)).toBe(true);
    expect(store.metas.has('verify-20270101T000000Z')).toBe(false);
    await dispatch(tick, deps);
    expect(sent).toHaveLength(2);

    const azoresMidnight = await dispatch({ ...tick, scheduledTime: '2027-01-01T01:00:00.000Z' }, deps);
    expect(azoresMidnight.map((d) => d.accounts)).toEqual([3, 2]);

    const onDemand = await dispatch({ phases: ['prepare'], year: 2027, trigger: 'dispatch', caller: 'arn:aws:iam::1:role/ops' }, deps);
    expect(onDemand[0]).toMatchObject({ phase: 'prepare', year: 2027, accounts: 3 });
    expect(onDemand[0]?.dispatchId).toMatch(/^prepare-\d{8}T\d{6}Z-[a-z0-9]{6}$/);
  });

  it('refuses a year no account may change before sending anything; verify may name any year', async () => {
    const { sent, deps } = recording();
    await expect(dispatch({ phases: ['prepare'], year: 2030, trigger: 'dispatch', caller: 'ops' }, deps)).rejects.toThrow(
      /2026 or 2027 \(the current and the next year in any account’s time zone\)/,
    );
    await expect(dispatch({ phases: ['activate'], year: 2025, trigger: 'dispatch', caller: 'ops' }, deps)).rejects.toBeInstanceOf(RolloverYearError);
    expect(sent).toEqual([]);
    await dispatch({ phases: ['verify'], year: 2022, trigger: 'dispatch', caller: 'ops' }, deps);
    // On 31 December in UTC some zones are already in the next year: that year's next may be named.
    await dispatch({ phases: ['prepare'], year: 2028, trigger: 'dispatch', caller: 'ops' }, { ...deps, now: () => new Date('2026-12-31T20:00:00Z') });
    expect(sent.map((message) => message.year)).toEqual([2022, 2022, 2022, 2028, 2028, 2028]);
  });

  it('a tick whose messages did not all go out (the dispatcher died) sends them again: the claims keep each run to one', async () => {
    const store = memoryStore();
    let calls = 0;
    const queue = {
      send: () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('SQS refused 3 of 3 messages (ServiceUnavailable)')) : resolved(undefined);
      },
    };
    const tick = { phases: ['prepare'] as const, scheduledTime: '2026-12-05T09:00:00.000Z', trigger: 'schedule' as const, caller: 'tick' };
    await expect(dispatch(tick, { accounts: () => resolved(accounts), store, queue })).rejects.toThrow('SQS refused');
    await dispatch(tick, { accounts: () => resolved(accounts), store, queue });
    expect([calls, store.metas.get('prepare-20261205T090000Z')?.sent]).toEqual([2, true]);
  });
});

const result = (name: string, outcome: RolloverResult['outcome'], failure?: RolloverResult['failure']): RolloverResult => ({
  runId: '2027-20261205T090000000Z-abcdef',
  year: 2027,
  serie: '2027',
  phase: 'prepare',
  dryRun: false,
  outcome,
  steps: [],
  sequence: null,
  startedAt: '2026-12-05T09:00:00.000Z',
  finishedAt: '2026-12-05T09:00:01.000Z',
  ...(failure === undefined ? {} : { failure }),
});

describe('the worker: each account once, and one alarm per dispatch', () => {
  function workerOf(outcomes: Record<string, RolloverOutcomeForAccount | Error>) {
    const store = memoryStore();
    const runs: string[] = [];
    const published: { subject: string; message: string }[] = [];
    const paged: string[] = [];
    const lines: Record<string, unknown>[] = [];
    const deps: WorkerDeps = {
      store,
      yearEnd: { list: () => resolved([]), markPaged: (_year, names) => resolved(void paged.push(...names)) },
      enabledAccounts: () => resolved(Object.keys(outcomes)),
      run: (message) => {
        runs.push(message.account);
        const outcome = outcomes[message.account]!;
        return outcome instanceof Error ? Promise.reject(outcome) : resolved(outcome);
      },
      alerts: { publish: (subject, message) => resolved(void published.push({ subject, message })) },
      stage: 'prod',
      log: { info: (_m, fields) => void lines.push(fields), error: (_m, fields) => void lines.push(fields) },
    };
    // The dispatch of every account given, its messages sent.
    const dispatchId = 'prepare-20261205T090000Z';
    const meta = { dispatchId, phase: 'prepare', trigger: 'schedule', caller: 'tick', createdAt: '', expected: Object.keys(outcomes).length };
    store.metas.set(dispatchId, { ...meta, done: 0, sent: true, summarized: false });
    return { store, runs, published, paged, lines, deps };
  }
  const message = (name: string): RolloverMessage => ({
    v: 1,
    dispatchId: 'prepare-20261205T090000Z',
    account: name,
    phase: 'prepare',
    trigger: 'schedule',
    caller: 'tick',
  });
  const deadline = () => Deadline.in(60_000);

  it('runs each account once however often its message comes; the last one summarizes: counts, and the newly failed named in one alarm', async () => {
    const failure = (kind: string) => ({ action: 'register' as const, kind, message: `${kind} happened` });
    const outcomes: Record<string, RolloverOutcomeForAccount | Error> = {
      ok: { result: result('ok', 'ready'), yearEnd: { status: 'ready', previous: undefined, paged: false } },
      'bad-at': { result: result('bad-at', 'failed', failure('at_account')), yearEnd: { status: 'failed', previous: undefined, paged: false } },
      'old-failure': { result: result('old', 'failed', failure('unauthorized')), yearEnd: { status: 'failed', previous: 'failed', paged: true } },
      deleted: new AccountNotFoundError('deleted', 'disabled'),
    };
    const worker = workerOf(outcomes);
    for (const name of ['ok', 'bad-at', 'ok', 'old-failure', 'deleted', 'bad-at']) await processRolloverMessage(message(name), deadline(), worker.deps);
    expect(worker.runs).toEqual(['ok', 'bad-at', 'old-failure', 'deleted']);
    expect(worker.published).toHaveLength(1);
    expect(worker.published[0]?.subject).toBe('ix-sequences prod: rollover prepare failed for 1 account');
    expect(worker.published[0]?.message).toContain('- bad-at: at_account: at_account happened');
    expect(worker.published[0]?.message).not.toContain('old-failure');
    expect(worker.paged).toEqual(['bad-at']);
    expect(worker.lines.find((line) => 'yearEnd' in line)).toMatchObject({
      yearEnd: { year: 2027, phase: 'prepare', counts: { ready: 0, activated: 0, failed: 0, not_started: 4 } },
    });
    expect(worker.store.claimsOf.get('prepare-20261205T090000Z/deleted')).toMatchObject({ outcome: 'skipped' });
  });

  it('a run table failure throws (SQS hands the message back), and the claim keeps the retry from running it twice at once', async () => {
    const worker = workerOf({ ok: { result: result('ok', 'ready') } });
    worker.store.finish = () => Promise.reject(new Error('DynamoDB throttled'));
    await expect(processRolloverMessage(message('ok'), deadline(), worker.deps)).rejects.toThrow('DynamoDB throttled');
    await processRolloverMessage(message('ok'), deadline(), worker.deps);
    expect(worker.runs).toEqual(['ok']);
  });
});

describe('an alarm names at most ten accounts', () => {
  it('then how many more, and where to see them all', () => {
    const failed = Array.from({ length: 13 }, (_, i): DispatchClaim => ({
      account: `shop-${String(i).padStart(2, '0')}`,
      state: 'done',
      year: 2027,
      cause: 'unauthorized: 401',
    }));
    const { subject, message } = alertOf({ stage: 'prod', dispatchId: 'activate-20270101T000000Z', phase: 'activate', year: undefined, failed });
    expect(subject).toBe('ix-sequences prod: rollover activate failed for 13 accounts');
    expect(message.split('\n').filter((line) => line.startsWith('- shop-'))).toHaveLength(10);
    expect(message).toContain('- and 3 more');
    expect(message).toContain('GET /rollover/2027/accounts?status=failed');
  });
});

describe('the year at a glance', () => {
  it('counts every enabled account (no entry: not started), lists who needs a person, pages one status by name', () => {
    const entries: YearEndAccount[] = [
      { account: 'b', status: 'failed', cause: 'at_account: no AT credentials' },
      { account: 'c', status: 'ready' },
      { account: 'gone', status: 'failed', cause: 'deleted since' },
      { account: 'e', status: 'activated' },
    ];
    const rows = yearEndRows(['e', 'd', 'c', 'b', 'a'], entries);
    const overview = yearEndOverview(2027, rows, {});
    expect(overview).toEqual({
      year: 2027,
      counts: { ready: 1, activated: 1, failed: 1, not_started: 2 },
      attention: [{ account: 'b', cause: 'at_account: no AT credentials' }],
    });
    const page = yearEndOverview(2027, rows, { status: 'not_started', limit: 1 });
    expect(page.accounts?.map((row) => row.account)).toEqual(['a']);
    expect(yearEndOverview(2027, rows, { status: 'not_started', limit: 1, nextToken: page.nextToken }).accounts?.map((row) => row.account)).toEqual(['d']);
    const many = yearEndRows(
      Array.from({ length: 150 }, (_, i) => `x${String(i).padStart(3, '0')}`),
      [],
    ).map((row) => ({ ...row, status: 'failed' as const }));
    expect(yearEndOverview(2027, many, {})).toMatchObject({ attentionMore: 50 });
  });
});
