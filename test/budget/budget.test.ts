import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamo } from '../../local/dynamodb.ts';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import { BudgetExhaustedError, createRequestBudget, intervalOf } from '../../shared/budget/budget.ts';
import type { BudgetLimits } from '../../shared/budget/budget.ts';
import { dynamoDbBudgetStore } from '../../shared/budget/dynamodb-budget.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';
import { BaseEnvSchema } from '../../shared/runtime/env.ts';
import { createServiceRuntime } from '../../shared/runtime/service-runtime.ts';

/** The budget's token bucket on dynalite, through the real SDK, with a clock the test moves. */
const LIMITS: BudgetLimits = { perMinute: 100, burst: 20, rolloverReserve: 10 };
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

function budgetAt(clock: { now: number }, account: string) {
  const slept: number[] = [];
  const budget = createRequestBudget({
    account,
    limits: LIMITS,
    store: dynamoDbBudgetStore({ client: dynamo.client, tableName: dynamo.tableName }),
    now: () => clock.now,
    sleep: (ms) => {
      slept.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
  });
  return { budget, slept };
}

const spend = (budget: ReturnType<typeof budgetAt>['budget'], share: 'api' | 'rollover', wait = false) =>
  budget.spend({ share, wait, deadline: Deadline.in(60_000) }).then(
    () => 'spent',
    (error: unknown) => error,
  );

describe('the request budget', () => {
  it('gives API callers the bucket less the rollover reserve, and the rollover the rest', async () => {
    const clock = { now: 1_800_000_000_000 };
    const { budget } = budgetAt(clock, 'acme');
    for (let i = 0; i < 10; i++) expect(await spend(budget, 'api')).toBe('spent');
    const refused = await spend(budget, 'api');
    expect(refused).toBeInstanceOf(BudgetExhaustedError);
    expect((refused as BudgetExhaustedError).retryAfterMs).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) expect(await spend(budget, 'rollover')).toBe('spent');
    expect(await spend(budget, 'rollover')).toBeInstanceOf(BudgetExhaustedError);
    // Another account has its own bucket.
    expect(await spend(budgetAt(clock, 'other').budget, 'api')).toBe('spent');
  });

  it('refills at (perMinute - burst) a minute: never more than perMinute in any minute', { timeout: 30_000 }, async () => {
    const clock = { now: 1_900_000_000_000 };
    const { budget } = budgetAt(clock, 'refill');
    let spent = 0;
    const end = clock.now + 60_000;
    for (; clock.now < end; clock.now += 250) if ((await spend(budget, 'rollover')) === 'spent') spent++;
    expect(spent).toBeLessThanOrEqual(LIMITS.perMinute);
    expect(spent).toBeGreaterThanOrEqual(LIMITS.perMinute - 2);
  });

  it('makes the rollover wait for a token (within its deadline) instead of failing', async () => {
    const clock = { now: 2_000_000_000_000 };
    const { budget, slept } = budgetAt(clock, 'wait');
    for (let i = 0; i < 20; i++) await spend(budget, 'rollover');
    expect(await spend(budget, 'rollover', true)).toBe('spent');
    expect(slept.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(intervalOf(LIMITS));
  });
});

describe('the environment outside local runs', () => {
  const env = {
    IX_SECRET_ID: 'ix-sequences/test',
    IX_BUDGET_TABLE_NAME: 'ix-sequences-test-rollover-runs',
    IX_ACCOUNTS_TABLE_NAME: 'ix-sequences-test-rollover-runs',
  };
  it('refuses an IX_BASE_URL that is not https:', () => {
    expect(() => createServiceRuntime(BaseEnvSchema, { ...env, IX_BASE_URL: 'http://127.0.0.1:9001' })).toThrow(/IX_BASE_URL: must be an https: URL/);
    expect(() => createServiceRuntime(BaseEnvSchema, { ...env, IX_BASE_URL: 'https://sandbox.example' })).not.toThrow();
    expect(() => createServiceRuntime(BaseEnvSchema, { ...env, IX_BASE_URL: 'http://127.0.0.1:9001', LOCAL_RUN: 'true' })).not.toThrow();
  });
  it('requires the budget table and the account registry', () => {
    expect(() => createServiceRuntime(BaseEnvSchema, { IX_SECRET_ID: 'ix-sequences/test', IX_ACCOUNTS_TABLE_NAME: 'ix-sequences-test-rollover-runs' })).toThrow(
      /IX_BUDGET_TABLE_NAME/,
    );
    expect(() => createServiceRuntime(BaseEnvSchema, { IX_SECRET_ID: 'ix-sequences/test', IX_BUDGET_TABLE_NAME: 'ix-sequences-test-rollover-runs' })).toThrow(
      /IX_ACCOUNTS_TABLE_NAME/,
    );
  });
});

describe('a budget store that fails', () => {
  it('lets the request go (InvoiceXpress keeps its own limit) and says so', async () => {
    const seen: unknown[] = [];
    const budget = createRequestBudget({
      account: 'acme',
      limits: LIMITS,
      store: { trySpend: () => Promise.reject(new Error('ProvisionedThroughputExceededException')) },
      onStoreError: (error) => seen.push(error),
    });
    await expect(budget.spend({ share: 'api', wait: false, deadline: Deadline.in(1_000) })).resolves.toBeUndefined();
    expect(seen).toHaveLength(1);
  });
});
