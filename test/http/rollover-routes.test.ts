import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRunRecords } from '../../shared/rollover/run-records.ts';
import { createRunTable } from '../../shared/rollover/run-table.ts';
import { createRolloverStatusService } from '../../shared/rollover/read-service.ts';
import { ConfigurationError } from '../../shared/runtime/env.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';
import { yearIn } from '../../shared/rollover/time.ts';
import { jsonBody, startApiHarness } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';

/**
 * POST /rollover, GET /rollover/{year} and GET /rollover/runs/{runId} through their handlers,
 * against the sandbox, with the run table on dynalite. Years are the current and the next one in
 * Lisbon (the only ones a real run may change), so the tests hold whatever today's date.
 */

/** The principal the local gateway's events carry (a signed request's caller). */
const LOCAL_CALLER = 'arn:aws:iam::000000000000:user/local';
const NOW = yearIn(new Date());
const NEXT = NOW + 1;

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness({ sandbox: { at: { onCreate: 'pending' } } });
});
afterAll(async () => {
  await api?.close();
});
beforeEach(() => {
  api.sandbox.reset();
});

const status = async (year: number) => (await api.invoke('rolloverStatus', { pathParameters: { year: String(year) } })).json;
const run = (body: Record<string, unknown>) => api.invoke('runRollover', jsonBody(body));

describe('POST /rollover', () => {
  it('dry run plans without changing anything, for any year', async () => {
    const answer = await run({ phase: 'activate', year: 2999, dryRun: true });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ year: 2999, serie: '2999', phase: 'activate', dryRun: true });
    expect(answer.json['runId']).toBeUndefined();
    const steps = answer.json['steps'] as { action: string; status: string }[];
    expect(steps.filter((s) => s.status === 'planned').map((s) => s.action)).toEqual(expect.arrayContaining(['create', 'register', 'set_current']));
    expect(api.sandbox.sequences()).toHaveLength(1);
    expect(api.sandbox.requests.map((r) => r.operation)).toEqual(['list']);
  });

  it('prepare, then activate, with readiness and the runs on record reported in between', async () => {
    expect(await status(NEXT)).toMatchObject({ year: NEXT, serie: null, exists: false, registered: false, current: false });
    const prepared = await run({ phase: 'prepare', year: NEXT });
    expect(prepared.json).toMatchObject({ outcome: 'ready', serie: String(NEXT) });
    expect(await status(NEXT)).toMatchObject({ serie: String(NEXT), exists: true, registered: true, current: false });
    const activated = await run({ phase: 'activate', year: NEXT });
    expect(activated.json).toMatchObject({ outcome: 'activated', sequence: { serie: String(NEXT), isDefault: true } });
    const again = await run({ phase: 'activate', year: NEXT });
    expect(again.json['outcome']).toBe('already_done');

    const report = await status(NEXT);
    expect(report).toMatchObject({ current: true });
    const runs = report['runs'] as { runId: string; phase: string; outcome: string; trigger: string }[];
    expect(runs.map((r) => `${r.phase}:${r.outcome}`)).toEqual(['activate:already_done', 'activate:activated', 'prepare:ready']);
    expect(runs.every((r) => r.trigger === 'api')).toBe(true);

    const record = await api.invoke('rolloverRunRecord', { pathParameters: { runId: String(activated.json['runId']) } });
    expect(record.status).toBe(200);
    expect(record.json).toMatchObject({
      runId: activated.json['runId'],
      status: 'finished',
      outcome: 'activated',
      trigger: 'api',
      result: { serie: String(NEXT) },
    });
  });

  it("a run that fails answers 200 with outcome failed and AT's words, on record", async () => {
    api.sandbox.addFault({
      fault: { kind: 'status', status: 422, body: JSON.stringify({ errors: [{ error: 'AT: comunicação recusada' }] }) },
      operations: ['register'],
    });
    const answer = await run({ phase: 'prepare', year: NEXT });
    expect(answer.status).toBe(200);
    expect(answer.json['outcome']).toBe('failed');
    expect(JSON.stringify(answer.json['steps'])).toContain('AT: comunicação recusada');
    expect(api.sandbox.sequences().find((s) => s.default_sequence === 1)?.serie).toBe('2022');
    const record = await api.invoke('rolloverRunRecord', { pathParameters: { runId: String(answer.json['runId']) } });
    expect(record.json).toMatchObject({ outcome: 'failed' });
  });

  it.each([2000, NOW - 1, NOW + 2, 2999])('a real run for %i is refused (400 on body.year) before any InvoiceXpress call', async (year) => {
    const answer = await run({ phase: 'prepare', year });
    expect(answer.status).toBe(400);
    expect(answer.json['error']).toMatchObject({ code: 'invalid_request', details: [{ path: 'body.year' }] });
    expect(api.sandbox.requests).toHaveLength(0);
    expect(api.sandbox.sequences().map((s) => s.serie)).toEqual(['2022']);
  });

  it('ten concurrent activations: exactly one activated, the others 409 rollover_in_progress or already_done; one set_current', async () => {
    api.sandbox.setLatency(40);
    const answers = await Promise.all(Array.from({ length: 10 }, () => run({ phase: 'activate', year: NOW })));
    api.sandbox.setLatency(0);
    const outcomes = answers.map((a) =>
      a.status === 200 ? String(a.json['outcome']) : `${String(a.status)} ${String((a.json['error'] as { code: string }).code)}`,
    );
    expect(outcomes.filter((o) => o === 'activated')).toHaveLength(1);
    expect(outcomes.every((o) => o === 'activated' || o === 'already_done' || o === '409 rollover_in_progress')).toBe(true);
    expect(api.sandbox.requests.filter((r) => r.operation === 'set_current')).toHaveLength(1);
    const winner = answers.find((a) => a.json['outcome'] === 'activated');
    for (const busy of answers.filter((a) => a.status === 409)) {
      expect(busy.json['error']).toMatchObject({ code: 'rollover_in_progress', runId: winner?.json['runId'] });
      expect(busy.headers['x-request-id']).toBeTruthy();
    }
    // Every real run that ran is on record with its caller (in the table; the read route does not show it).
    const ran = answers.filter((a) => a.status === 200);
    const table = createRunTable({ tableName: api.dynamo.tableName, client: api.dynamo.client });
    for (const answer of ran) {
      const runId = String(answer.json['runId']);
      expect(await table.getRun(api.sandbox.accountName, runId)).toMatchObject({ caller: LOCAL_CALLER, trigger: 'api' });
      const record = await api.invoke('rolloverRunRecord', { pathParameters: { runId } });
      expect(record.json).toMatchObject({ runId, trigger: 'api' });
    }
  });

  it('run records are read with the configured account and the table only: no secret, no InvoiceXpress call', async () => {
    const answer = await run({ phase: 'prepare', year: NEXT });
    api.sandbox.reset();
    // What the stack gives rollover-run-record: no IX_SECRET_ID (its role cannot read the secret).
    const records = createRunRecords({ ROLLOVER_TABLE_NAME: api.dynamo.tableName, IX_ACCOUNT_NAME: api.sandbox.accountName });
    expect(await records.get(String(answer.json['runId']))).toMatchObject({ runId: answer.json['runId'], trigger: 'api', outcome: 'ready' });
    expect(await records.get(`${String(NEXT)}-20261201T090000000Z-zzzzzz`)).toBeUndefined();
    expect(api.sandbox.requests).toHaveLength(0);
    expect(() => createRunRecords({ ROLLOVER_TABLE_NAME: api.dynamo.tableName })).toThrow(/IX_ACCOUNT_NAME/);
  });

  it('a secret for another account than the configured one is refused before any InvoiceXpress call', async () => {
    const service = createRolloverStatusService({ ...process.env, IX_ACCOUNT_NAME: 'another-account' });
    await expect(service.readiness(NEXT, Deadline.in(5_000))).rejects.toThrow(ConfigurationError);
    await expect(service.readiness(NEXT, Deadline.in(5_000))).rejects.toThrow(/accountName differs from IX_ACCOUNT_NAME/);
    expect(api.sandbox.requests).toHaveLength(0);
  });

  it("the read routes never show a run's caller (an IAM principal; an SSO session name can be an e-mail)", async () => {
    const answer = await run({ phase: 'prepare', year: NEXT });
    const runId = String(answer.json['runId']);
    const table = createRunTable({ tableName: api.dynamo.tableName, client: api.dynamo.client });
    expect((await table.getRun(api.sandbox.accountName, runId))?.caller).toBe(LOCAL_CALLER);
    const record = await api.invoke('rolloverRunRecord', { pathParameters: { runId } });
    expect(record.status).toBe(200);
    expect(record.json).toMatchObject({ runId, trigger: 'api', status: 'finished' });
    expect(Object.keys(record.json)).not.toContain('caller');
    const report = await status(NEXT);
    const runs = report['runs'] as Record<string, unknown>[];
    expect(runs.map((r) => r['runId'])).toContain(runId);
    expect(runs.every((r) => !('caller' in r))).toBe(true);
    expect(JSON.stringify([record.json, report])).not.toContain(LOCAL_CALLER);
  });

  it.each([
    [{ phase: 'later' }, 'body.phase'],
    [{ phase: 'prepare', year: 1999 }, 'body.year'],
    [{ phase: 'prepare', force: true }, 'body'],
    [{}, 'body.phase'],
  ])('%j → 400 on %s', async (body, path) => {
    const answer = await run(body);
    expect(answer.status).toBe(400);
    expect((answer.json['error'] as { details: { path: string }[] }).details.map((d) => d.path)).toContain(path);
    expect(api.sandbox.requests).toHaveLength(0);
  });
});

describe('GET /rollover/{year} and /rollover/runs/{runId}', () => {
  it.each(['abc', '1999', '20270', '3000'])('GET /rollover/%s → 400', async (year) => {
    const answer = await api.invoke('rolloverStatus', { pathParameters: { year } });
    expect(answer.status).toBe(400);
  });

  it('an unknown run id → 404; a malformed one → 400', async () => {
    expect((await api.invoke('rolloverRunRecord', { pathParameters: { runId: `${String(NOW)}-20000101T000000000Z-nosuch` } })).status).toBe(404);
    expect((await api.invoke('rolloverRunRecord', { pathParameters: { runId: 'latest' } })).status).toBe(400);
  });

  it('upstream failures of the read-only status follow the error table', async () => {
    api.sandbox.addFault({ fault: { kind: 'status', status: 500 } });
    expect((await api.invoke('rolloverStatus', { pathParameters: { year: String(NEXT) } })).status).toBe(502);
  });
});
