import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/http/routes.ts';
import type { RouteName } from '../../shared/http/routes.ts';
import { yearIn } from '../../shared/rollover/time.ts';
import { jsonBody, startApiHarness } from '../support/api-harness.ts';
import type { ApiEventInputLike, ApiHarness } from '../support/api-harness.ts';

/**
 * InvoiceXpress hanging on every call, with the production per-attempt timeout (8 s) longer than
 * the function has: every route must answer on its own, with its error body and x-request-id,
 * before the function's configured time is up (here 6 s), not be cut off by Lambda or API
 * Gateway. POST /rollover stops at its deadline and answers the incomplete run.
 */

const FUNCTION_TIMEOUT_MS = 6_000;
const YEAR = yearIn(new Date());
const ACCOUNT = 'deadline-shop';
const forAccount = (request: ApiEventInputLike): ApiEventInputLike => ({ ...request, pathParameters: { account: ACCOUNT, ...request.pathParameters } });

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness({ env: { IX_TIMEOUT_MS: '8000' } });
  // Warm the secret caches (a cold read is not what this test is about), then hang everything.
  expect((await api.invoke('listSequences')).status).toBe(200);
  expect((await api.registerAccount(ACCOUNT, 'k-deadline-shop-7c1e')).status).toBe(200);
  expect((await api.invoke('listSequencesForAccount', { pathParameters: { account: ACCOUNT } })).status).toBe(200);
  api.sandbox.addFault({ fault: { kind: 'hang' } });
  api.sandbox.account(ACCOUNT)?.addFault({ fault: { kind: 'hang' } });
  api.sandbox.addAccount('hanging-new', { apiKey: 'k-hanging-new-3f9a' }).addFault({ fault: { kind: 'hang' } });
});
afterAll(async () => {
  await api?.close();
});

const REQUESTS: Record<RouteName, ApiEventInputLike> = {
  listSequences: {},
  getSequence: { pathParameters: { id: '146090' } },
  createSequence: jsonBody({ serie: 'HANG1' }),
  registerSequence: { pathParameters: { id: '146090' } },
  setCurrentSequence: { pathParameters: { id: '146090' } },
  runRollover: jsonBody({ phase: 'activate', year: YEAR }),
  rolloverStatus: { pathParameters: { year: String(YEAR) } },
  rolloverRunRecord: { pathParameters: { runId: `${String(YEAR)}-20000101T000000000Z-nosuch` } },
  listNotifications: {},
  getNotification: { pathParameters: { id: 'evt_nosuch_1.ep_nosuch' } },
  redeliverNotification: { pathParameters: { id: 'evt_nosuch_1.ep_nosuch' } },
  redeliverNotifications: jsonBody({ since: '2026-01-01T00:00:00Z' }),
  listSequencesForAccount: forAccount({}),
  getSequenceForAccount: forAccount({ pathParameters: { id: '146090' } }),
  createSequenceForAccount: forAccount(jsonBody({ serie: 'HANG1' })),
  registerSequenceForAccount: forAccount({ pathParameters: { id: '146090' } }),
  setCurrentSequenceForAccount: forAccount({ pathParameters: { id: '146090' } }),
  runRolloverForAccount: forAccount(jsonBody({ phase: 'activate', year: YEAR })),
  rolloverStatusForAccount: forAccount({ pathParameters: { year: String(YEAR) } }),
  rolloverRunRecordForAccount: forAccount({ pathParameters: { runId: `${String(YEAR)}-20000101T000000000Z-nosuch` } }),
  // A new account's key is checked with InvoiceXpress: hanging, that check times out (nothing stored).
  putAccount: { ...jsonBody({ apiKey: 'k-hanging-new-3f9a' }), pathParameters: { account: 'hanging-new' } },
  listAccounts: {},
  getAccount: { pathParameters: { account: ACCOUNT } },
  deleteAccount: { pathParameters: { account: 'never-registered' } },
  dispatchRollover: jsonBody({ phase: 'verify' }),
  rolloverAccounts: { pathParameters: { year: String(YEAR) } },
};

/** Routes that never call InvoiceXpress (the run table or the notifications table only): their own answer. */
const NOT_INVOICEXPRESS: Partial<Record<RouteName, number>> = {
  rolloverRunRecord: 404,
  listNotifications: 200,
  getNotification: 404,
  redeliverNotification: 404,
  redeliverNotifications: 200,
  rolloverRunRecordForAccount: 404,
  listAccounts: 200,
  getAccount: 200,
  deleteAccount: 404,
  dispatchRollover: 202,
  rolloverAccounts: 200,
};

describe('InvoiceXpress hanging: every route answers before its function times out', () => {
  it('with our own error body and x-request-id (504 upstream_timeout), POST /rollover with its incomplete run', async () => {
    const names = Object.keys(routes) as RouteName[];
    const answers = await Promise.all(
      names.map(async (name) => {
        const started = Date.now();
        const answer = await api.invoke(name, REQUESTS[name], { timeoutMs: FUNCTION_TIMEOUT_MS });
        return { name, answer, elapsed: Date.now() - started };
      }),
    );
    for (const { name, answer, elapsed } of answers) {
      expect(elapsed, name).toBeLessThan(FUNCTION_TIMEOUT_MS);
      expect(answer.headers['x-request-id'], name).toBeTruthy();
      if (name === 'runRollover' || name === 'runRolloverForAccount') {
        expect(answer.status).toBe(200);
        expect(answer.json).toMatchObject({ outcome: 'incomplete', phase: 'activate' });
      } else if (NOT_INVOICEXPRESS[name] !== undefined) {
        expect(answer.status, name).toBe(NOT_INVOICEXPRESS[name]); // InvoiceXpress is not asked
      } else {
        expect(answer.status, name).toBe(504);
        expect(answer.json['error'], name).toMatchObject({ code: 'upstream_timeout', requestId: answer.headers['x-request-id'] });
      }
    }
  }, 20_000);
});
