import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamo } from '../../local/dynamodb.ts';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import type { AccountRecord } from '../../shared/accounts/model.ts';
import { InvalidPageTokenError } from '../../shared/accounts/page-token.ts';
import { dynamoDbAccountRegistry } from '../../shared/accounts/registry.ts';
import { dynamoDbDispatchStore } from '../../shared/fanout/dispatch-store.ts';
import { dynamoDbYearEndStore } from '../../shared/rollover/year-end.ts';
import { dynamoDbDocuments, queryItems } from '../../shared/runtime/dynamodb.ts';

/** The registry, the year-end statuses and the dispatch claims, on a real DynamoDB API (dynalite). */
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

const NOW = '2026-12-05T09:00:00.000Z';
const record = (account: string, enabled = true): AccountRecord => ({
  account,
  timeZone: 'Europe/Lisbon',
  enabled,
  labels: {},
  createdAt: NOW,
  updatedAt: NOW,
});

describe('the account registry', () => {
  it('pages by name with a token, lists the enabled accounts, and refuses a token it did not give', async () => {
    const registry = dynamoDbAccountRegistry({ tableName: dynamo.tableName, client: dynamo.client });
    for (const name of ['c-shop', 'a-shop', 'b-shop', 'd-shop']) await registry.put(record(name, name !== 'b-shop'));
    const first = await registry.page({ limit: 3 });
    expect(first.accounts.map((a) => a.account)).toEqual(['a-shop', 'b-shop', 'c-shop']);
    const second = await registry.page({ limit: 3, nextToken: first.nextToken });
    expect(second.accounts.map((a) => a.account)).toEqual(['d-shop']);
    expect(second.nextToken).toBeUndefined();
    expect((await registry.enabled()).map((a) => a.account)).toEqual(['a-shop', 'c-shop', 'd-shop']);
    expect(await registry.get('a-shop')).toEqual(record('a-shop'));
    expect(await registry.get('nobody')).toBeUndefined();
    await expect(registry.page({ limit: 3, nextToken: 'not-ours' })).rejects.toBeInstanceOf(InvalidPageTokenError);
  });
});

describe('year-end statuses', () => {
  const entry = (account: string, status: 'ready' | 'activated' | 'failed', cause?: string) => ({
    account,
    status,
    phase: status === 'ready' ? ('prepare' as const) : ('activate' as const),
    outcome: status === 'failed' ? 'failed' : 'ready',
    updatedAt: NOW,
    ...(cause === undefined ? {} : { cause }),
  });

  it('a prepare after the activation keeps the account activated; a failure carries "paged" while it lasts', async () => {
    const yearEnd = dynamoDbYearEndStore({ tableName: dynamo.tableName, client: dynamo.client });
    expect(await yearEnd.record(2027, entry('shop', 'ready'))).toEqual({ previous: undefined, paged: false });
    expect(await yearEnd.record(2027, entry('shop', 'activated'))).toEqual({ previous: 'ready', paged: false });
    expect(await yearEnd.record(2027, entry('shop', 'ready'))).toEqual({ previous: 'activated', paged: false });
    expect((await yearEnd.list(2027)).find((e) => e.account === 'shop')?.status).toBe('activated');

    expect(await yearEnd.record(2027, entry('bad', 'failed', 'at_account: no AT credentials'))).toEqual({ previous: undefined, paged: false });
    await yearEnd.markPaged(2027, ['bad', 'never-recorded']);
    expect(await yearEnd.record(2027, entry('bad', 'failed', 'at_account: still'))).toEqual({ previous: 'failed', paged: true });
    // Fixed, then failing again: paged anew.
    await yearEnd.record(2027, entry('bad', 'activated'));
    expect(await yearEnd.record(2027, entry('bad', 'failed', 'unauthorized: 401'))).toEqual({ previous: 'activated', paged: false });
    expect((await yearEnd.list(2027)).map((e) => [e.account, e.status, e.cause])).toEqual([
      ['bad', 'failed', 'unauthorized: 401'],
      ['shop', 'activated', undefined],
    ]);
    expect(await yearEnd.list(2028)).toEqual([]);
  });
});

describe('dispatch claims', () => {
  const meta = (dispatchId: string, expected: number) => ({ dispatchId, phase: 'prepare', trigger: 'schedule', caller: 'tick', createdAt: NOW, expected });

  it('one run per account per dispatch: claimed once, held while its lease runs, done after; a dead claim expires', async () => {
    let now = Date.parse(NOW);
    const store = dynamoDbDispatchStore({ tableName: dynamo.tableName, client: dynamo.client, now: () => now });
    expect(await store.open(meta('prepare-20261205T090000Z', 2))).toBe('new');
    expect(await store.open(meta('prepare-20261205T090000Z', 2))).toBe('sending');
    await store.sent('prepare-20261205T090000Z');
    expect(await store.open(meta('prepare-20261205T090000Z', 2))).toBe('sent');

    expect(await store.claim('prepare-20261205T090000Z', 'a-shop', 60_000)).toBe('claimed');
    expect(await store.claim('prepare-20261205T090000Z', 'a-shop', 60_000)).toBe('held');
    await store.finish('prepare-20261205T090000Z', { account: 'a-shop', year: 2027, outcome: 'ready', status: 'ready' });
    expect(await store.claim('prepare-20261205T090000Z', 'a-shop', 60_000)).toBe('done');

    expect(await store.claim('prepare-20261205T090000Z', 'b-shop', 60_000)).toBe('claimed');
    now += 61_000;
    expect(await store.claim('prepare-20261205T090000Z', 'b-shop', 60_000)).toBe('claimed');
    await store.finish('prepare-20261205T090000Z', { account: 'b-shop', year: 2027, outcome: 'failed', status: 'failed', cause: 'at_account: x', alert: true });

    expect(await store.countDone('prepare-20261205T090000Z')).toEqual({ done: 1, expected: 2, phase: 'prepare' });
    expect(await store.countDone('prepare-20261205T090000Z')).toEqual({ done: 2, expected: 2, phase: 'prepare' });
    expect(await store.takeSummary('prepare-20261205T090000Z')).toBe(true);
    expect(await store.takeSummary('prepare-20261205T090000Z')).toBe(false);
    expect((await store.claims('prepare-20261205T090000Z')).map((c) => [c.account, c.state, c.alert])).toEqual([
      ['a-shop', 'done', undefined],
      ['b-shop', 'done', true],
    ]);
  });
});

describe('queryItems', () => {
  it('reads every page of a Query (lib-dynamodb paginator), in key order', async () => {
    const registry = dynamoDbAccountRegistry({ tableName: dynamo.tableName, client: dynamo.client });
    for (let i = 0; i < 7; i++) await registry.put(record(`paged-${String(i)}`));
    const documents = dynamoDbDocuments(dynamo.client);
    const names = await queryItems(
      documents,
      {
        TableName: dynamo.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :paged)',
        ExpressionAttributeValues: { ':pk': 'ACCOUNTS', ':paged': 'paged-' },
        Limit: 2,
      },
      (item) => String(item['sk']),
    );
    expect(names).toEqual(Array.from({ length: 7 }, (_, i) => `paged-${String(i)}`));
  });
});
