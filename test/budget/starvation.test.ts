import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TABLE_NAME } from '../../local/dynamodb.ts';
import type { SandboxRequestRecord } from '../../sandbox/types.ts';
import { yearIn } from '../../shared/rollover/time.ts';
import { stackHttp } from '../support/json-http.ts';
import { startLocalStack } from '../support/local-stack.ts';
import type { LocalStack } from '../support/local-stack.ts';

/**
 * Issue 21 item 1, through the local API Gateway: a caller sending 300 GETs a minute cannot starve
 * an activation. The sandbox allows 100 requests a minute, like InvoiceXpress; the budget
 * (100 a minute, burst 20, 10 for the rollover) lives in dynalite, spent by the real functions.
 * Without the budget the caller spends the sandbox's minute in 20 s and the rollover meets 429s.
 */
const NEXT = yearIn(new Date()) + 1;
const CALLER_ID = 146090;
const CALLER_INTERVAL_MS = 200; // 300 a minute
const RAMP_MS = 22_000; // past the point where 300 a minute has spent the sandbox's 100

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({
    apiKey: 'k-budget-starvation-51c8e0',
    env: {
      REGISTER_SETTLE_MS: '300',
      IX_BUDGET_TABLE_NAME: LOCAL_TABLE_NAME,
      IX_BUDGET_PER_MINUTE: '100',
      IX_BUDGET_BURST: '20',
      IX_BUDGET_ROLLOVER_RESERVE: '10',
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

const { api, control } = stackHttp(() => stack);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('the InvoiceXpress request budget', () => {
  it('keeps a caller sending 300 GETs a minute from starving an activation', { timeout: 90_000 }, async () => {
    // The year's serie is prepared (registered) before the caller starts; the budget starts full.
    const prepared = await api('POST', '/rollover', { phase: 'prepare', year: NEXT });
    expect(prepared.json, JSON.stringify(prepared.json)).toMatchObject({ outcome: 'ready' });
    await control('DELETE', '/requests');
    await control('PUT', '/rate-limit', { perMinute: 100 });

    const answers: Promise<{ status: number; retryAfter: string | null; code: unknown }>[] = [];
    let calling = true;
    const caller = (async () => {
      while (calling) {
        answers.push(
          api('GET', `/sequences/${String(CALLER_ID)}`).then((a) => ({
            status: a.status,
            retryAfter: a.retryAfter,
            code: (a.json['error'] as { code?: unknown } | undefined)?.code,
          })),
        );
        await sleep(CALLER_INTERVAL_MS);
      }
    })();
    await sleep(RAMP_MS);
    const activation = await api('POST', '/rollover', { phase: 'activate', year: NEXT });
    calling = false;
    await caller;
    const callerAnswers = await Promise.all(answers);

    const requests = (await control('GET', '/requests')).json['requests'] as SandboxRequestRecord[];
    // The default account is at `/accounts/sandbox/…` locally, as every account is at its own path.
    const isCallers = (r: SandboxRequestRecord) => r.path.endsWith(`/sequences/${String(CALLER_ID)}.json`);
    const rolloverRequests = requests.filter((r) => !isCallers(r));
    const rollover429s = rolloverRequests.filter((r) => r.status === 429).length;
    const sandbox429sToCaller = requests.filter((r) => isCallers(r) && r.status === 429).length;
    const budget429s = callerAnswers.filter((a) => a.status === 429).length - sandbox429sToCaller;
    await sleep(10_000); // the API's share refills (the status route reads InvoiceXpress too)
    const runs = ((await api('GET', `/rollover/${String(NEXT)}`)).json['runs'] as { phase: string }[] | undefined) ?? [];
    const activations = runs.filter((run) => run.phase === 'activate').length;
    console.info(
      `starvation: caller sent ${String(callerAnswers.length)} GETs, ${String(callerAnswers.filter((a) => a.status === 200).length)} answered 200, ` +
        `${String(budget429s)} answered 429 by the budget; sandbox 429s to the caller ${String(sandbox429sToCaller)}, to the rollover ${String(rollover429s)}; ` +
        `rollover requests ${String(rolloverRequests.length)}; activation ${String(activation.json['outcome'])}; activation runs ${String(activations)}`,
    );

    expect(rollover429s).toBe(0);
    expect(activation.json).toMatchObject({ outcome: 'activated', serie: String(NEXT) });
    expect(activations).toBe(1);
    expect(callerAnswers.length).toBeGreaterThanOrEqual(100);
    // The caller's excess is answered by the budget, at once and with Retry-After.
    expect(budget429s).toBeGreaterThan(0);
    // Refused at once: none of them reached the sandbox.
    expect(requests.filter(isCallers)).toHaveLength(callerAnswers.filter((a) => a.status === 200).length);
    const refused = callerAnswers.filter((a) => a.status === 429);
    expect(refused.every((a) => a.code === 'rate_limited' && Number(a.retryAfter) >= 1)).toBe(true);
  });
});
