import { DeleteItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamo } from '../../local/dynamodb.ts';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import { RolloverYearError } from '../../shared/rollover/errors.ts';
import { runLocked } from '../../shared/rollover/locked-run.ts';
import type { RolloverRequest } from '../../shared/rollover/locked-run.ts';
import { createRunTable } from '../../shared/rollover/run-table.ts';
import { newRunId, yearOfRunId } from '../../shared/rollover/run-store.ts';
import type { RunHolder, RunStore } from '../../shared/rollover/run-store.ts';
import { yearIn } from '../../shared/rollover/time.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';
import { memoryAccount } from './memory-client.ts';

/**
 * The lock and the run record on a real DynamoDB API (dynalite on loopback, through the real
 * @aws-sdk/client-dynamodb): conditional writes make the lock exclusive, leases expire, records
 * survive. The year rule keeps real runs to the current and the next year.
 */

const TEMPLATES = ['{year}', '{year}B', '{year}C'];
const THIS_YEAR = yearIn(new Date());
let dynamo: LocalDynamo;
let store: RunStore;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
  store = createRunTable({ tableName: dynamo.tableName, client: dynamo.client });
});
afterAll(async () => {
  await dynamo.close();
});

const holder = (runId: string, acquiredAt = new Date().toISOString()): RunHolder => ({
  runId,
  trigger: 'api',
  caller: 'arn:aws:iam::1:role/x',
  phase: 'activate',
  acquiredAt,
});

function request(overrides: Partial<RolloverRequest['input']> = {}): RolloverRequest {
  return {
    input: { phase: 'activate', year: THIS_YEAR, dryRun: false, ...overrides },
    trigger: 'api',
    caller: 'arn:aws:iam::1:role/caller',
    deadline: Deadline.in(20_000),
  };
}

describe('run ids', () => {
  it('sort by start time within their year and carry the year', () => {
    const a = newRunId(2027, new Date('2026-12-01T09:00:00.000Z'));
    const b = newRunId(2027, new Date('2026-12-02T09:00:00.000Z'));
    expect(a).toMatch(/^2027-20261201T090000000Z-[a-z0-9]{6}$/);
    expect(a < b).toBe(true);
    expect(yearOfRunId(a)).toBe(2027);
    expect(yearOfRunId('nope')).toBeUndefined();
  });
});

describe('the lock (dynalite)', () => {
  it('ten concurrent acquisitions: exactly one wins, the others see the holder', async () => {
    const key = { account: 'acme', year: 2031 };
    const attempts = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.acquire(key, holder(`2031-20301201T000000000Z-r${String(i).padStart(5, '0')}`), 60_000)),
    );
    const winners = attempts.filter((attempt) => attempt.acquired);
    expect(winners).toHaveLength(1);
    const holders = new Set(attempts.flatMap((attempt) => (attempt.acquired ? [] : [attempt.holder.runId])));
    expect(holders.size).toBe(1);
  });

  it('is per account and year, taken once even by its holder, released only by its holder', async () => {
    const key = { account: 'acme', year: 2032 };
    const mine = holder('2032-20311201T000000000Z-mine01');
    expect((await store.acquire(key, mine, 60_000)).acquired).toBe(true);
    expect(await store.acquire(key, mine, 60_000)).toMatchObject({ acquired: false, holder: { runId: mine.runId } });
    expect((await store.acquire({ account: 'other', year: 2032 }, holder('2032-20311201T000000000Z-othr01'), 60_000)).acquired).toBe(true);
    expect((await store.acquire({ account: 'acme', year: 2033 }, holder('2033-20311201T000000000Z-next01'), 60_000)).acquired).toBe(true);
    await store.release(key, '2032-20311201T000000000Z-notme1');
    expect((await store.acquire(key, holder('2032-20311201T000000000Z-late01'), 60_000)).acquired).toBe(false);
    await store.release(key, mine.runId);
    expect((await store.acquire(key, holder('2032-20311201T000000000Z-late01'), 60_000)).acquired).toBe(true);
  });

  it('an expired lease (a crashed run) is taken over', async () => {
    const key = { account: 'acme', year: 2034 };
    let now = Date.parse('2033-12-01T00:00:00Z');
    const clocked = createRunTable({ tableName: dynamo.tableName, client: dynamo.client, now: () => now });
    expect((await clocked.acquire(key, holder('2034-20331201T000000000Z-crash1'), 5_000)).acquired).toBe(true);
    now += 4_000;
    expect((await clocked.acquire(key, holder('2034-20331201T000000000Z-next01'), 5_000)).acquired).toBe(false);
    now += 3_000;
    expect((await clocked.acquire(key, holder('2034-20331201T000000000Z-next01'), 5_000)).acquired).toBe(true);
    // The crashed run's late release does not free its successor's lock.
    await clocked.release(key, '2034-20331201T000000000Z-crash1');
    expect((await clocked.acquire(key, holder('2034-20331201T000000000Z-third1'), 5_000)).acquired).toBe(false);
  });
});

/**
 * A client for the same dynalite whose conditional writes, the first `times` times they fail,
 * are followed by the lock's release (its holder finishing between our write and our read).
 */
function releasingClient(key: { account: string; year: number }, times: number): DynamoDBClient {
  const client = new DynamoDBClient({ endpoint: dynamo.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  let left = times;
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error instanceof Error && error.name === 'ConditionalCheckFailedException' && left-- > 0) {
          await dynamo.client.send(
            new DeleteItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: `${key.account}#${String(key.year)}` }, sk: { S: 'LOCK' } } }),
          );
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'releaseLockAfterConditionFailure' },
  );
  return client;
}

async function lockHolderId(key: { account: string; year: number }): Promise<string | undefined> {
  const answer = await dynamo.client.send(
    new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: `${key.account}#${String(key.year)}` }, sk: { S: 'LOCK' } }, ConsistentRead: true }),
  );
  return answer.Item?.runId?.S;
}

describe('the lock released between a failed write and the read (dynalite)', () => {
  it('is taken on the second attempt, not reported as held by a run nobody knows', async () => {
    const key = { account: 'race', year: 2035 };
    await store.acquire(key, holder('2035-20341201T000000000Z-first1'), 60_000);
    const racing = createRunTable({ tableName: dynamo.tableName, client: releasingClient(key, 1) });
    const second = holder('2035-20341201T000000000Z-secnd1');
    expect(await racing.acquire(key, second, 60_000)).toEqual({ acquired: true });
    expect(await lockHolderId(key)).toBe(second.runId);
  });

  it('taken by a third run before the second attempt: that run is reported as the holder', async () => {
    const key = { account: 'race', year: 2036 };
    await store.acquire(key, holder('2036-20351201T000000000Z-first1'), 60_000);
    const third = holder('2036-20351201T000000000Z-third1');
    const client = releasingClient(key, 1);
    // Right after our read found the lock free, a third run takes it, before our second attempt.
    let taken = false;
    client.middlewareStack.add(
      (next) => async (args) => {
        const output = await next(args);
        const isRead = typeof args.input === 'object' && args.input !== null && 'ConsistentRead' in args.input;
        if (isRead && !taken) {
          taken = true;
          await store.acquire(key, third, 60_000);
        }
        return output;
      },
      { step: 'initialize', name: 'thirdRunTakesLock' },
    );
    const attempt = await createRunTable({ tableName: dynamo.tableName, client }).acquire(key, holder('2036-20351201T000000000Z-secnd1'), 60_000);
    expect(attempt).toMatchObject({ acquired: false, holder: { runId: third.runId } });
  });
});

describe('runLocked', () => {
  it('records a real run (running, then finished with its result) and releases the lock', async () => {
    const account = memoryAccount();
    const seen: string[] = [];
    const store2: RunStore = {
      ...store,
      saveRun: async (name, record) => {
        seen.push(record.status);
        await store.saveRun(name, record);
      },
    };
    const run = await runLocked({ client: account.client, store: store2, account: 'rec', templates: TEMPLATES }, request());
    expect(run.type).toBe('ran');
    if (run.type !== 'ran') return;
    expect(seen).toEqual(['running', 'finished']);
    const runId = run.result.runId ?? '';
    const record = await store.getRun('rec', runId);
    expect(record).toMatchObject({
      runId,
      trigger: 'api',
      caller: 'arn:aws:iam::1:role/caller',
      status: 'finished',
      outcome: 'activated',
      phase: 'activate',
      year: THIS_YEAR,
    });
    expect(record?.result?.steps.length).toBeGreaterThan(0);
    const recent = await store.recentRuns({ account: 'rec', year: THIS_YEAR }, 5);
    expect(recent[0]?.runId).toBe(runId);
    // The lock is free again.
    expect((await store.acquire({ account: 'rec', year: THIS_YEAR }, holder(newRunId(THIS_YEAR, new Date())), 1_000)).acquired).toBe(true);
  });

  it('a run that finds the lock held changes nothing and names the holder', async () => {
    const account = memoryAccount();
    const key = { account: 'busy', year: THIS_YEAR };
    const other = holder(newRunId(THIS_YEAR, new Date()));
    await store.acquire(key, other, 60_000);
    const run = await runLocked({ client: account.client, store, account: 'busy', templates: TEMPLATES }, request());
    expect(run).toMatchObject({ type: 'busy', holder: { runId: other.runId }, year: THIS_YEAR });
    expect(account.calls).toEqual([]);
  });

  it('dry runs and verify take no lock; dry runs leave no record', async () => {
    const account = memoryAccount();
    const key = { account: 'ro', year: THIS_YEAR };
    await store.acquire(key, holder(newRunId(THIS_YEAR, new Date())), 60_000);
    const dry = await runLocked({ client: account.client, store, account: 'ro', templates: TEMPLATES }, request({ dryRun: true }));
    expect(dry.type === 'ran' && dry.result.runId).toBe(undefined);
    const verify = await runLocked({ client: account.client, store, account: 'ro', templates: TEMPLATES }, request({ phase: 'verify' }));
    expect(verify.type).toBe('ran');
    if (verify.type === 'ran') expect(await store.getRun('ro', verify.result.runId ?? '')).toMatchObject({ phase: 'verify', status: 'finished' });
  });

  it.each([2000, THIS_YEAR - 1, THIS_YEAR + 2, 2999])('a real run for %i is refused before any call; a dry run may name it', async (year) => {
    const account = memoryAccount();
    const attempt = runLocked({ client: account.client, store, account: 'years', templates: TEMPLATES }, request({ phase: 'prepare', year }));
    await expect(attempt).rejects.toThrow(RolloverYearError);
    expect(account.calls).toEqual([]);
    const dry = await runLocked({ client: account.client, store, account: 'years', templates: TEMPLATES }, request({ phase: 'prepare', year, dryRun: true }));
    expect(dry.type).toBe('ran');
  });

  it('the year comes from the scheduled time in Lisbon, not from the clock', async () => {
    const account = memoryAccount();
    const scheduled = `${String(THIS_YEAR)}-01-01T00:00:00+00:00`;
    const run = await runLocked(
      { client: account.client, store: undefined, account: 'sched', templates: TEMPLATES },
      { ...request({ year: undefined, dryRun: true }), scheduledTime: scheduled },
    );
    expect(run.type === 'ran' && run.result.year).toBe(THIS_YEAR);
  });
});
