import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localAccountNames } from '../../local/local-accounts.ts';
import { accountSecretName } from '../../shared/accounts/secrets.ts';
import { yearIn } from '../../shared/rollover/time.ts';
import { stackHttp } from '../support/json-http.ts';
import { startLocalStack } from '../support/local-stack.ts';
import type { LocalStack } from '../support/local-stack.ts';

/**
 * Issue 20's acceptance rehearsal through what `npm start` runs: 30 sandbox accounts registered
 * with PUT /accounts/{account}; one whose AT fails for the whole account, one whose key changed
 * in InvoiceXpress after it was registered; one prepare dispatched to all of them, run by the
 * worker over the local rollover queue (4 at a time, as its event source's maxConcurrency), and
 * the year at a glance once the queue is drained. A prepare works on next year in Lisbon: `NEXT`.
 */

const NEXT = yearIn(new Date()) + 1;
const STAGE = 'test';
const ACCOUNTS = localAccountNames(30);
const AT_FAILING = 'acct-007';
const REKEYED = 'acct-019';
const HEALTHY = ACCOUNTS.filter((name) => name !== AT_FAILING && name !== REKEYED);
const keyOf = (name: string): string => `k-accounts-e2e-${name}-${randomBytes(6).toString('hex')}`;

let stack: LocalStack;
const { api, control } = stackHttp(() => stack);

beforeAll(async () => {
  stack = await startLocalStack({ apiKey: 'k-accounts-e2e-default-61c0', env: { REGISTER_SETTLE_MS: '300' } });
  await stack.startRolloverWorker({ concurrency: 4, functionTimeoutMs: 60_000 });
});
afterAll(async () => {
  await stack?.close();
});

interface Overview {
  counts: Record<'ready' | 'activated' | 'failed' | 'not_started', number>;
  attention: { account: string; cause: string }[];
}
interface RawSequence {
  serie: string;
  [field: string]: unknown;
}

const overview = async (): Promise<Overview> => (await api('GET', `/rollover/${String(NEXT)}/accounts`)).json as unknown as Overview;
const isRegistered = (sequence: RawSequence): boolean =>
  Object.entries(sequence).some(([field, value]) => field.endsWith('_validation_code') && value !== 'N/D');

/** What `read` gives once it is defined, polled every 100 ms for up to `timeoutMs`. */
async function eventually<T>(read: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`still waiting for ${what} after ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const logLines = (): string[] => stack.logs().flatMap((chunk) => chunk.split('\n'));
const seriesOf = (name: string): string[] => (stack.sandbox.account(name)?.sequences() ?? []).map((sequence) => sequence.serie);

describe('many accounts through npm start: registry, per-account secrets and routes, the rollover fan-out', () => {
  it('registers 30 sandbox accounts with PUT /accounts/{account}: each key in its own secret, each record in the registry', async () => {
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let name = ACCOUNTS[next++]; name !== undefined; name = ACCOUNTS[next++]) {
        const answer = await stack.registerAccount(name, keyOf(name));
        expect(answer.status, `${name}: ${JSON.stringify(answer.json)}`).toBe(200);
        expect(answer.json).toMatchObject({ created: true, account: { account: name, enabled: true, timeZone: 'Europe/Lisbon' } });
        expect(JSON.stringify(answer.json)).not.toContain('apiKey');
      }
    };
    await Promise.all(Array.from({ length: 6 }, lane));
    const listed = await api('GET', '/accounts?limit=100');
    expect((listed.json['accounts'] as { account: string }[]).map((record) => record.account)).toEqual(ACCOUNTS);
    expect(stack.secretsManager.secretNames()).toEqual(expect.arrayContaining(ACCOUNTS.map((name) => accountSecretName(STAGE, name))));
  });

  it(`one dispatched prepare: ${String(HEALTHY.length)} accounts ready with ${String(NEXT)}, the two a person must see failed with their cause`, async () => {
    expect((await control('PATCH', `/accounts/${AT_FAILING}/at`, { onRegister: 'account_failure' })).status).toBe(200);
    expect((await control('PUT', `/accounts/${REKEYED}`, { apiKey: keyOf(REKEYED) })).status).toBe(200);

    const dispatched = await api('POST', '/rollover/dispatch', { phase: 'prepare' });
    expect(dispatched.status).toBe(202);
    expect(dispatched.json).toMatchObject({ phase: 'prepare', accounts: ACCOUNTS.length });

    // The worker has run every account once none is left not started.
    const seen = await eventually(
      async () => {
        const now = await overview();
        return now.counts.not_started === 0 ? now : undefined;
      },
      'the rollover queue drained',
      20_000,
    );
    expect(seen.counts).toEqual({ ready: HEALTHY.length, failed: 2, activated: 0, not_started: 0 });
    expect(seen.attention).toEqual([
      { account: AT_FAILING, cause: expect.stringMatching(/^at_account/) as string },
      { account: REKEYED, cause: expect.stringMatching(/^unauthorized/) as string },
    ]);
    for (const name of HEALTHY) {
      const prepared = stack.sandbox
        .account(name)
        ?.sequences()
        .find((sequence) => sequence.serie === String(NEXT));
      expect(prepared && isRegistered(prepared), `${name} has ${String(NEXT)} registered`).toBe(true);
      expect(seriesOf(name)).not.toContain(`${String(NEXT)}B`);
    }
    // AT's account-wide refusal stops the run at its first name (no fallback); a refused key creates nothing.
    expect(seriesOf(AT_FAILING)).toEqual(['2022', String(NEXT)]);
    expect(seriesOf(REKEYED)).toEqual(['2022']);
    // The dispatch's end, once: the year's counts, and one alarm line naming the two accounts.
    const dispatchId = `"dispatchId":"${String(dispatched.json['dispatchId'])}"`;
    const summary = await eventually(() => logLines().find((line) => line.includes(dispatchId) && line.includes('"yearEnd"')), "the dispatch's summary");
    expect((JSON.parse(summary) as { yearEnd: unknown }).yearEnd).toMatchObject({ year: NEXT, counts: { ready: HEALTHY.length, failed: 2, not_started: 0 } });
    const alarms = logLines().filter((line) => line.includes('"alarm":"accounts_failed"'));
    expect(alarms.map((line) => (JSON.parse(line) as { accounts: string[] }).accounts)).toEqual([[AT_FAILING, REKEYED]]);
    await eventually(() => (stack.rollover.sqs.bodies(stack.rollover.queueUrl).length === 0 ? true : undefined), 'an empty rollover queue');
    expect(stack.rollover.sqs.bodies(stack.rollover.deadLetterQueueUrl)).toEqual([]);
  });

  it("serves the default account on the plain routes and a registered one under /accounts/{account}, reading only that account's secret", async () => {
    const reads = stack.secretsManager.reads().length;
    const own = await api('GET', '/sequences');
    expect(own.status).toBe(200);
    expect((own.json['sequences'] as { serie: string }[]).map((sequence) => sequence.serie)).toEqual(['2022']);
    expect(stack.secretsManager.reads().slice(reads)).toEqual([`ix-sequences/${STAGE}`]);

    const before = stack.secretsManager.reads().length;
    const theirs = await api('GET', '/accounts/acct-003/sequences');
    expect(theirs.status).toBe(200);
    expect((theirs.json['sequences'] as { serie: string }[]).map((sequence) => sequence.serie)).toEqual(['2022', String(NEXT)]);
    expect(stack.secretsManager.reads().slice(before)).toEqual([accountSecretName(STAGE, 'acct-003')]);
  });

  it('a key InvoiceXpress refuses answers 422 rejected and stores nothing: no secret, no record', async () => {
    stack.sandbox.addAccount('wrong-key', { apiKey: 'k-accounts-e2e-right-0b5e' });
    const answer = await api('PUT', '/accounts/wrong-key', { apiKey: 'k-accounts-e2e-wrong-73aa' });
    expect(answer.status).toBe(422);
    expect(answer.json).toMatchObject({ error: { code: 'rejected' } });
    expect(stack.secretsManager.secretNames()).not.toContain(accountSecretName(STAGE, 'wrong-key'));
    expect((await api('GET', '/accounts/wrong-key')).status).toBe(404);
  });

  it('DELETE /accounts/{account} stops serving it at once; a PUT within the recovery window restores its secret and its routes', async () => {
    const key = keyOf('gone-soon');
    expect((await stack.registerAccount('gone-soon', key)).status).toBe(200);
    const deleted = await api('DELETE', '/accounts/gone-soon');
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ account: { account: 'gone-soon', enabled: false, secretDeletionDate: expect.any(String) as string } });
    expect((await api('GET', '/accounts/gone-soon/sequences')).status).toBe(404);

    const restored = await api('PUT', '/accounts/gone-soon', { apiKey: key });
    expect(restored.status).toBe(200);
    expect(restored.json).toMatchObject({ created: false, account: { enabled: true } });
    expect(restored.json['account']).not.toHaveProperty('secretDeletionDate');
    expect((await api('GET', '/accounts/gone-soon/sequences')).status).toBe(200);
  });
});
