import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamo } from '../../local/dynamodb.ts';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import type { NotificationEvent } from '../../shared/notifications/model.ts';
import { NotificationEventSchema } from '../../shared/notifications/model.ts';
import { createPublisher } from '../../shared/notifications/publisher.ts';
import type { EventQueue } from '../../shared/notifications/publisher.ts';
import { createRunOutbox } from '../../shared/notifications/run-outbox.ts';
import { runLocked } from '../../shared/rollover/locked-run.ts';
import type { RolloverDependencies, RolloverRequest } from '../../shared/rollover/locked-run.ts';
import { createRunTable } from '../../shared/rollover/run-table.ts';
import type { RunStore } from '../../shared/rollover/run-store.ts';
import { yearIn } from '../../shared/rollover/time.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';
import { memoryAccount } from '../rollover/memory-client.ts';
import type { MemoryAccount } from '../rollover/memory-client.ts';

/**
 * The rollover's outbox on a real DynamoDB API (dynalite): a run's events are in its record's
 * write and go out after it; a run that died between changing the account and its report is
 * told by the next run; a record whose events did not go out is published again, same ids.
 */

const TEMPLATES = ['{year}', '{year}B', '{year}C'];
const YEAR = yearIn(new Date());
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

class LambdaDied extends Error {}

/** A queue, a bus and a counter in memory; `failQueue` makes the next sends fail. */
function publishing() {
  const queued: NotificationEvent[] = [];
  const onBus: NotificationEvent[] = [];
  let counter = 0;
  let failQueue = 0;
  const queue: EventQueue = {
    sendEvents: async (events) => {
      await Promise.resolve();
      if (failQueue > 0) {
        failQueue -= 1;
        throw new Error('SQS unavailable');
      }
      queued.push(...events);
    },
  };
  const publisher = createPublisher({
    queue,
    bus: { put: async (events) => void onBus.push(...(await Promise.resolve(events))) },
    numbers: { reserve: (_account, count) => Promise.resolve(Array.from({ length: count }, () => (counter += 1))) },
  });
  return { publisher, queued, onBus, failNextSends: (n: number) => void (failQueue = n) };
}

function request(phase: 'prepare' | 'activate'): RolloverRequest {
  return { input: { phase, year: YEAR, dryRun: false }, trigger: 'schedule', caller: `ix-sequences-test-${phase}`, deadline: Deadline.in(20_000) };
}

/** The run table at a clock of its own (a dead run's lease expires when the clock moves on). */
function setup(account: string) {
  let offsetMs = 0;
  const table = createRunTable({ tableName: dynamo.tableName, client: dynamo.client, now: () => Date.now() + offsetMs });
  const pub = publishing();
  const outbox = { outbox: createRunOutbox({ store: table, publisher: pub.publisher }), stage: 'test' };
  const memory = memoryAccount();
  memory.add(String(YEAR - 1), { registered: true, isDefault: true });
  const deps = (store: RunStore = table, client: MemoryAccount['client'] = memory.client): RolloverDependencies => ({
    client,
    store,
    account,
    templates: TEMPLATES,
    outbox,
  });
  return { table, pub, memory, deps, later: (ms: number) => void (offsetMs += ms) };
}

/** A store that dies with the Lambda once the run has changed the account: no finished record, no release. */
function dying(store: RunStore): RunStore {
  return {
    ...store,
    saveRun: async (account, record, outbox) => {
      if (record.status === 'finished') throw new LambdaDied('the Lambda died before its report');
      await store.saveRun(account, record, outbox);
    },
    release: async () => {
      await Promise.resolve();
      throw new LambdaDied('dead');
    },
  };
}

describe('the rollover outbox (dynalite)', () => {
  it("a prepare's events are in its record and go out after it, in order, marked published", async () => {
    const { table, pub, deps } = setup('outbox-a');
    const run = await runLocked(deps(), request('prepare'));
    expect(run.type).toBe('ran');
    if (run.type !== 'ran') return;
    expect(run.result.outcome).toBe('ready');
    expect(pub.queued.map((e) => e.type)).toEqual(['serie.created', 'serie.registered']);
    expect(pub.onBus).toEqual(pub.queued);
    expect(pub.queued.map((e) => e.id)).toEqual([`evt_${run.result.runId ?? ''}_1`, `evt_${run.result.runId ?? ''}_2`]);
    for (const event of pub.queued) expect(NotificationEventSchema.safeParse(event).success).toBe(true);
    const [entry] = await table.outboxOf({ account: 'outbox-a', year: YEAR });
    expect(entry).toMatchObject({ runId: run.result.runId, status: 'finished', events: pub.queued, eventsPublishedAt: expect.any(String) as unknown });
    expect(run.events).toMatchObject({ events: 2, queued: true, onBus: true });
  });

  it('the Lambda dies between setting the default and its report: the next run tells serie.activated', async () => {
    const { table, pub, memory, deps, later } = setup('outbox-b');
    await runLocked(deps(), request('prepare'));
    const told = pub.queued.length;

    // The activation switches the default in InvoiceXpress, then dies: no finished record, no event, the lock held.
    await expect(
      runLocked(
        {
          ...deps(dying(table)),
          onStoreError: (_what, error) => {
            throw error;
          },
        },
        request('activate'),
      ),
    ).rejects.toThrow(LambdaDied);
    expect(memory.defaultSerie()).toBe(String(YEAR));
    expect(pub.queued).toHaveLength(told);
    const dead = (await table.outboxOf({ account: 'outbox-b', year: YEAR })).find((entry) => entry.status === 'running');
    expect(dead).toBeDefined();

    // A quarter of an hour later (the lease has expired) the next activation finds it done, and tells.
    later(15 * 60_000);
    const next = await runLocked(deps(), request('activate'));
    if (next.type !== 'ran') throw new Error('expected a run');
    expect(next.result.outcome).toBe('already_done');
    const recovered = pub.queued.slice(told);
    expect(recovered.map((e) => e.type)).toEqual(['serie.activated']);
    expect(recovered[0]).toMatchObject({
      id: `evt_${dead?.runId ?? ''}_r3`,
      data: { recovered: true, runId: dead?.runId, previous: null, current: { serie: String(YEAR), isDefault: true } },
    });
    expect(pub.onBus.map((e) => e.id)).toContain(recovered[0]?.id);
    const entries = await table.outboxOf({ account: 'outbox-b', year: YEAR });
    expect(entries.find((entry) => entry.runId === dead?.runId)?.recoveredBy).toBe(next.result.runId);

    // Told once: a later run has nothing left to tell.
    await runLocked(deps(), request('activate'));
    expect(pub.queued.slice(told)).toEqual(recovered);
  });

  it('events recorded but not sent (the queue failed): the next run sends them again with the same ids and numbers', async () => {
    const { table, pub, deps } = setup('outbox-c');
    pub.failNextSends(1);
    const first = await runLocked(deps(), request('prepare'));
    if (first.type !== 'ran') throw new Error('expected a run');
    expect(first.events).toMatchObject({ queued: false, problems: ['queue: Error: SQS unavailable'] });
    expect(pub.queued).toEqual([]);
    const [entry] = await table.outboxOf({ account: 'outbox-c', year: YEAR });
    expect(entry?.events?.map((e) => e.type)).toEqual(['serie.created', 'serie.registered']);
    expect(entry?.eventsPublishedAt).toBeUndefined();

    await runLocked(deps(), request('prepare'));
    expect(pub.queued).toEqual(entry?.events);
    const marked = (await table.outboxOf({ account: 'outbox-c', year: YEAR })).find((e) => e.runId === first.result.runId);
    expect(marked?.eventsPublishedAt).toEqual(expect.any(String));
  });
});
