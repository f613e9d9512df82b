import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { yearIn } from '../../shared/rollover/time.ts';
import { stackHttp } from '../support/json-http.ts';
import { startLocalStack } from '../support/local-stack.ts';
import { rolloverLogLines } from '../support/log-scan.ts';
import type { LocalStack } from '../support/local-stack.ts';

/**
 * Each row of the rollover-safety table (docs/contract.md, "What the rollover will and will not
 * do") through what `npm start` runs: real HTTP to the local API Gateway, the sandbox set up only
 * through its control endpoint, as a person rehearsing year-end would.
 */

const NOW = yearIn(new Date());
const NEXT = NOW + 1;
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ apiKey: 'k-safety-rows-7c21e9', env: { REGISTER_SETTLE_MS: '300' } });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(async () => {
  await control('POST', '/reset');
});

const { api, control } = stackHttp(() => stack);

interface RawSequence {
  id: number;
  serie: string;
  default_sequence: number;
  [field: string]: unknown;
}

async function account(): Promise<RawSequence[]> {
  return (await control('GET', '/state')).json['sequences'] as RawSequence[];
}
async function requests(): Promise<{ operation: string; method: string }[]> {
  return (await control('GET', '/requests')).json['requests'] as { operation: string; method: string }[];
}
const defaultSerie = async (): Promise<string | undefined> => (await account()).find((sequence) => sequence.default_sequence === 1)?.serie;
const isPending = (sequence: RawSequence | undefined): boolean => Object.values(sequence ?? {}).includes('N/D');

describe('the rollover does no harm, through npm start and the sandbox control endpoint', () => {
  it("a later year's serie is the default: activate changes nothing and says which default supersedes it", async () => {
    await control('PUT', '/sequences', { seed: [{ serie: String(NOW) }, { serie: String(NEXT + 1), default: true }] });
    const run = await api('POST', '/rollover', { phase: 'activate', year: NEXT });
    expect(run.json).toMatchObject({ outcome: 'already_done' });
    expect(run.json['note']).toContain(`'${String(NEXT + 1)}'`);
    expect(await defaultSerie()).toBe(String(NEXT + 1));
    expect((await account()).map((sequence) => sequence.serie)).toEqual([String(NOW), String(NEXT + 1)]);
  });

  it("a person's FT-serie of the year is the default: left alone, even with the year's own serie registered", async () => {
    await control('PUT', '/sequences', { seed: [{ serie: `FT${String(NEXT)}`, default: true }, { serie: String(NEXT) }] });
    const run = await api('POST', '/rollover', { phase: 'activate', year: NEXT });
    expect(run.json).toMatchObject({ outcome: 'already_done' });
    expect(run.json['note']).toContain(`FT${String(NEXT)}`);
    expect(await defaultSerie()).toBe(`FT${String(NEXT)}`);
    expect((await requests()).map((request) => request.operation)).toEqual(['list']);
  });

  it("a person's default naming the year in two digits (FT27 for 2027) is left alone; last year's (FT26) is switched from", async () => {
    const [mine, lastYears] = [`FT${String(NEXT % 100)}`, `FT${String(NOW % 100)}`];
    await control('PUT', '/sequences', { seed: [{ serie: mine, default: true }, { serie: String(NEXT) }] });
    const run = await api('POST', '/rollover', { phase: 'activate', year: NEXT });
    expect(run.json).toMatchObject({ outcome: 'already_done' });
    expect(run.json['note']).toContain(`'${mine}' names ${String(NEXT)}`);
    expect(await defaultSerie()).toBe(mine);
    expect((await requests()).map((request) => request.operation)).toEqual(['list']);

    await control('PUT', '/sequences', { seed: [{ serie: lastYears, default: true }, { serie: String(NEXT) }] });
    expect((await api('POST', '/rollover', { phase: 'activate', year: NEXT })).json).toMatchObject({ outcome: 'activated', serie: String(NEXT) });
    expect(await defaultSerie()).toBe(String(NEXT));
  });

  it.each([2000, 2999])('a real run for %i: 400 invalid_request, no InvoiceXpress call; a dry run may name it', async (year) => {
    const run = await api('POST', '/rollover', { phase: 'prepare', year });
    expect(run.status).toBe(400);
    expect(run.json['error']).toMatchObject({ code: 'invalid_request', details: [{ path: 'body.year' }] });
    expect(await requests()).toEqual([]);
    expect((await api('POST', '/rollover', { phase: 'prepare', year, dryRun: true })).status).toBe(200);
  });

  it('POST /sequences with default: true while AT leaves the serie pending: the error, and it is not the default', async () => {
    await control('PATCH', '/at', { onCreate: 'pending', onRegister: 'pending' });
    const created = await api('POST', '/sequences', { serie: String(NEXT), default: true });
    expect(created.status).toBe(409);
    expect(created.json['error']).toMatchObject({ code: 'invalid_state' });
    expect(await defaultSerie()).toBe('2022');
    expect((await requests()).filter((request) => request.operation === 'set_current')).toEqual([]);
  });

  it('a list without current_* fields: nothing is taken as registered on its word; get decides', async () => {
    await control('PUT', '/sequences', {
      seed: [
        { serie: String(NOW), default: true },
        { serie: String(NEXT), documents: 'pending' },
      ],
    });
    await control('PUT', '/variants', { currentFields: 'not_in_list' });
    const run = await api('POST', '/rollover', { phase: 'activate', year: NEXT });
    expect(run.json).toMatchObject({ outcome: 'activated', serie: String(NEXT) });
    const operations = (await requests()).map((request) => request.operation);
    expect(operations.indexOf('get')).toBeLessThan(operations.indexOf('register'));
    expect(operations.indexOf('register')).toBeLessThan(operations.indexOf('set_current'));
    const now = (await account()).find((sequence) => sequence.serie === String(NEXT));
    expect(now?.default_sequence).toBe(1);
    expect(isPending(now)).toBe(false);
  });

  it('a register that times out is sent once; the state is read afterwards', async () => {
    await control('PUT', '/sequences', {
      seed: [
        { serie: String(NOW), default: true },
        { serie: String(NEXT), documents: 'pending' },
      ],
    });
    await control('POST', '/faults', { fault: { kind: 'hang' }, operations: ['register'], times: 1 });
    const id = (await account()).find((sequence) => sequence.serie === String(NEXT))?.id;
    const answer = await api('PUT', `/sequences/${String(id)}/register`);
    expect(answer.status).toBe(504);
    const operations = (await requests()).map((request) => request.operation);
    expect(operations.filter((operation) => operation === 'register')).toHaveLength(1);
    expect(operations.lastIndexOf('get')).toBeGreaterThan(operations.indexOf('register'));
  });

  it('an unseen 422 ("pedido em processamento") fails the run with its words and touches no other name', async () => {
    await control('PATCH', '/at', { onCreate: 'pending', onRegister: 'reject', rejectMessage: 'Pedido em processamento' });
    const run = await api('POST', '/rollover', { phase: 'prepare', year: NEXT });
    expect(run.json).toMatchObject({ outcome: 'failed', failure: { kind: 'at_in_progress' } });
    expect(JSON.stringify(run.json['steps'])).toContain('Pedido em processamento');
    expect((await account()).map((sequence) => sequence.serie)).toEqual(['2022', String(NEXT)]);
  });

  it('AT refusing the whole account (bad AT credentials): one name, the reason, what to fix', async () => {
    await control('PATCH', '/at', { onCreate: 'pending', onRegister: 'account_failure' });
    const run = await api('POST', '/rollover', { phase: 'activate', year: NEXT });
    expect(run.json).toMatchObject({ outcome: 'failed', failure: { kind: 'at_account' } });
    expect((run.json['failure'] as { message: string }).message).toContain('check the AT credentials');
    expect((await account()).map((sequence) => sequence.serie)).toEqual(['2022', String(NEXT)]);
    expect((await requests()).filter((request) => request.operation === 'register')).toHaveLength(1);
  });

  it('ten activations at once: exactly one activated, the others 409 or already_done; one set_current; each real run on record', async () => {
    await control('PUT', '/latency', { ms: 30 });
    const runs = await Promise.all(Array.from({ length: 10 }, () => api('POST', '/rollover', { phase: 'activate', year: NEXT })));
    const outcomes = runs.map((run) => (run.status === 200 ? String(run.json['outcome']) : String((run.json['error'] as { code: string }).code)));
    expect(outcomes.filter((outcome) => outcome === 'activated')).toHaveLength(1);
    expect(outcomes.every((outcome) => ['activated', 'already_done', 'rollover_in_progress'].includes(outcome))).toBe(true);
    expect((await requests()).filter((request) => request.operation === 'set_current')).toHaveLength(1);
    for (const run of runs.filter((answer) => answer.status === 200)) {
      const record = await api('GET', `/rollover/runs/${String(run.json['runId'])}`);
      // The caller is on record in the table; the read route answers the run without it.
      expect(record.json).toMatchObject({ runId: run.json['runId'], trigger: 'api', status: 'finished' });
      expect(record.json['caller']).toBeUndefined();
    }
  });

  it('a dry run that would use a fallback name raises no alarm, and its log line says "dry run"', async () => {
    await control('PUT', '/sequences', {
      seed: [{ serie: '2022', default: true }, { serie: String(NEXT), documents: 'pending' }, { serie: `${String(NEXT)}B` }],
    });
    const before = stack.logs().length;
    const run = await api('POST', '/rollover', { phase: 'activate', year: NEXT, dryRun: true });
    expect(run.json).toMatchObject({ dryRun: true, serie: `${String(NEXT)}B`, fallback: { from: String(NEXT) } });
    const lines = rolloverLogLines(stack.logs().slice(before));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('(dry run)');
    expect(lines[0]).not.toContain('"alarm"');
  });
});
