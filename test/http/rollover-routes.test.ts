import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonBody, startApiHarness } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';

/** POST /rollover and GET /rollover/{year} through their handlers, against the sandbox. */

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

const status = async (year: string) => (await api.invoke('rolloverStatus', { pathParameters: { year } })).json;

describe('rollover routes', () => {
  it('dry run plans without changing anything', async () => {
    const answer = await api.invoke('runRollover', jsonBody({ phase: 'activate', year: 2027, dryRun: true }));
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ year: 2027, serie: '2027', phase: 'activate', dryRun: true });
    const steps = answer.json['steps'] as { action: string; status: string }[];
    expect(steps.filter((s) => s.status === 'planned').map((s) => s.action)).toEqual(
      expect.arrayContaining(['create', 'register', 'set_current']),
    );
    expect(api.sandbox.sequences()).toHaveLength(1);
    expect(api.sandbox.requests.map((r) => r.operation)).toEqual(['list']);
  });

  it('prepare, then activate, with readiness reported in between', async () => {
    expect(await status('2027')).toMatchObject({ year: 2027, serie: null, exists: false, registered: false, current: false });
    const prepared = await api.invoke('runRollover', jsonBody({ phase: 'prepare', year: 2027 }));
    expect(prepared.json).toMatchObject({ outcome: 'ready', serie: '2027' });
    expect(await status('2027')).toMatchObject({ serie: '2027', exists: true, registered: true, current: false });
    const activated = await api.invoke('runRollover', jsonBody({ phase: 'activate', year: 2027 }));
    expect(activated.json).toMatchObject({ outcome: 'activated', sequence: { serie: '2027', isDefault: true } });
    expect(await status('2027')).toMatchObject({ current: true });
    const again = await api.invoke('runRollover', jsonBody({ phase: 'activate', year: 2027 }));
    expect(again.json['outcome']).toBe('already_done');
  });

  it("a run that fails answers 200 with outcome failed and AT's words", async () => {
    api.sandbox.setAt({ onRegister: 'reject', rejectMessage: 'AT: comunicação recusada' });
    const answer = await api.invoke('runRollover', jsonBody({ phase: 'prepare', year: 2028 }));
    expect(answer.status).toBe(200);
    expect(answer.json['outcome']).toBe('failed');
    expect(JSON.stringify(answer.json['steps'])).toContain('AT: comunicação recusada');
    expect(api.sandbox.sequences().find((s) => s.default_sequence === 1)?.serie).toBe('2022');
  });

  it.each([
    [{ phase: 'later' }, 'body.phase'],
    [{ phase: 'prepare', year: 1999 }, 'body.year'],
    [{ phase: 'prepare', force: true }, 'body'],
    [{}, 'body.phase'],
  ])('%j → 400 on %s', async (body, path) => {
    const answer = await api.invoke('runRollover', jsonBody(body));
    expect(answer.status).toBe(400);
    expect((answer.json['error'] as { details: { path: string }[] }).details.map((d) => d.path)).toContain(path);
    expect(api.sandbox.requests).toHaveLength(0);
  });

  it.each(['abc', '1999', '20270', '3000'])('GET /rollover/%s → 400', async (year) => {
    const answer = await api.invoke('rolloverStatus', { pathParameters: { year } });
    expect(answer.status).toBe(400);
  });

  it('upstream failures of the read-only status follow the error table', async () => {
    api.sandbox.addFault({ fault: { kind: 'status', status: 500 } });
    expect((await api.invoke('rolloverStatus', { pathParameters: { year: '2027' } })).status).toBe(502);
  });
});
