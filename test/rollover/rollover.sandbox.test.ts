import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox, SandboxOperation } from '../../sandbox/types.ts';
import { createInvoiceXpressClient } from '../../shared/invoicexpress/client.ts';
import type { InvoiceXpressClient, InvoiceXpressClientOptions } from '../../shared/invoicexpress/types.ts';
import { readiness } from '../../shared/rollover/readiness.ts';
import { runRollover } from '../../shared/rollover/rollover.ts';
import { RolloverResultSchema } from '../../shared/rollover/result.ts';
import type { RolloverPhase } from '../../shared/rollover/schemas.ts';
import type { RolloverResult, RolloverStep } from '../../shared/rollover/result.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';

/** The rollover against the stateful sandbox over real HTTP: call counts, faults, races, resumption. */

const API_KEY = 'sandbox-key-for-rollover-tests';
const TEMPLATES = ['{year}', '{year}B', '{year}C'];
const now = () => new Date('2026-12-20T10:00:00Z');
/** AT refusing a name, as one client library recorded it: the only kind of refusal that moves on to the next name. */
const NAME_REFUSED = JSON.stringify({ errors: { code: '001', message: 'Sequence name not allowed.' } });

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: API_KEY });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
});

/** The client as the rollover uses it: its calls wait out a 429 while the run's deadline allows. */
function ix(overrides: Partial<InvoiceXpressClientOptions> = {}, deadline = Deadline.in(30_000)): InvoiceXpressClient {
  return createInvoiceXpressClient({
    accountName: sandbox.accountName,
    apiKey: sandbox.apiKey,
    baseUrl: sandbox.url,
    timeoutMs: 2_000,
    retry: { limit: 3, baseDelayMs: 5, maxDelayMs: 50 },
    ...overrides,
  }).withPolicy({ deadline, onRateLimit: 'wait' });
}

async function run(
  phase: RolloverPhase,
  options: { client?: InvoiceXpressClient; dryRun?: boolean; year?: number; steps?: RolloverStep[]; deadline?: Deadline } = {},
): Promise<RolloverResult> {
  const result = await runRollover({
    client: options.client ?? ix(),
    phase,
    year: options.year ?? 2027,
    dryRun: options.dryRun ?? false,
    now,
    templates: TEMPLATES,
    deadline: options.deadline ?? Deadline.in(30_000),
    settle: { settleMs: 300, pollMs: 100 },
    onStep: options.steps ? (step) => options.steps?.push(step) : undefined,
  });
  // Every result honours its published schema and never carries the key or a query string.
  expect(RolloverResultSchema.safeParse(result).success).toBe(true);
  const text = JSON.stringify(result);
  expect(text).not.toContain(API_KEY);
  expect(text).not.toContain('api_key');
  expect(text).not.toContain('http://');
  return result;
}

/** Requests per operation since `from` (an index into sandbox.requests). */
function counts(from = 0): Partial<Record<SandboxOperation | 'unknown', number>> {
  const out: Partial<Record<SandboxOperation | 'unknown', number>> = {};
  for (const request of sandbox.requests.slice(from)) out[request.operation] = (out[request.operation] ?? 0) + 1;
  return out;
}

const mark = (): number => sandbox.requests.length;
const series = (): string[] => sandbox.sequences().map((sequence) => sequence.serie);
const isPending = (serie: string): boolean => Object.values(sandbox.sequences().find((sequence) => sequence.serie === serie) ?? {}).includes('N/D');
const defaultSerie = (): string | undefined => sandbox.sequences().find((sequence) => sequence.default_sequence === 1)?.serie;
const trail = (result: RolloverResult): string[] => result.steps.map((step) => `${step.action}:${step.status}`);

describe('prepare, activate, repeat', () => {
  it('makes exactly the calls needed, and a repeat is one list call', async () => {
    const prepare = await run('prepare');
    expect(prepare).toMatchObject({ outcome: 'ready', serie: '2027', year: 2027, phase: 'prepare', dryRun: false });
    expect(prepare.sequence).toMatchObject({ serie: '2027', registered: true, isDefault: false });
    expect(prepare.fallback).toBeUndefined();
    expect(counts()).toEqual({ list: 1, create: 1, get: 1 });
    expect(prepare.calls).toEqual({ list: 1, get: 1, create: 1, register: 0, set_current: 0 });
    expect(trail(prepare)).toEqual(['find:done', 'create:done', 'verify:done']);
    expect(defaultSerie()).toBe('2022');

    let from = mark();
    const repeatPrepare = await run('prepare');
    expect(repeatPrepare.outcome).toBe('already_done');
    expect(counts(from)).toEqual({ list: 1 });

    from = mark();
    const activate = await run('activate');
    expect(activate).toMatchObject({ outcome: 'activated', serie: '2027' });
    expect(activate.sequence).toMatchObject({ registered: true, isDefault: true });
    // The list carries every type's code (InvoiceXpress's word that it is registered): set_current, then read back.
    expect(counts(from)).toEqual({ list: 1, set_current: 1, get: 1 });
    expect(trail(activate)).toEqual(['find:done', 'set_current:done', 'verify:done']);
    expect(defaultSerie()).toBe('2027');

    from = mark();
    const repeatActivate = await run('activate');
    expect(repeatActivate.outcome).toBe('already_done');
    expect(trail(repeatActivate)).toEqual(['find:done', 'verify:skipped']);
    expect(repeatActivate.steps.at(-1)?.detail).toContain("'2027' is id");
    expect(counts(from)).toEqual({ list: 1 });
    expect(series()).toEqual(['2022', '2027']);
  });

  it('registers when create leaves AT pending (5 calls), and activate from scratch does everything', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    const prepare = await run('prepare');
    expect(prepare.outcome).toBe('ready');
    // The get after create checks that InvoiceXpress did not make the new serie the default.
    expect(counts()).toEqual({ list: 1, create: 1, register: 1, get: 2 });
    expect(trail(prepare)).toEqual(['find:done', 'create:done', 'register:done', 'verify:done']);

    sandbox.reset();
    sandbox.setAt({ onCreate: 'pending' });
    const steps: RolloverStep[] = [];
    const activate = await run('activate', { steps });
    expect(activate.outcome).toBe('activated');
    // register's read-back shows the codes before set_current (a pending serie is never made default), then verify.
    expect(counts()).toEqual({ list: 1, create: 1, register: 1, get: 3, set_current: 1 });
    expect(steps).toEqual(activate.steps); // onStep saw every step, in order
    expect(defaultSerie()).toBe('2027');
  });
});

describe('transient InvoiceXpress failures', () => {
  it('waits out 429s and retries 5xx of GET and set_current within the run; register is sent once', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    sandbox.addFault({ fault: { kind: 'status', status: 429, retryAfterSeconds: 0 }, operations: ['list'], times: 2 });
    sandbox.addFault({ fault: { kind: 'status', status: 429, retryAfterSeconds: 0 }, operations: ['register'], times: 1 });
    sandbox.addFault({ fault: { kind: 'status', status: 502 }, operations: ['get'], times: 1 });
    const result = await run('prepare');
    expect(result.outcome).toBe('ready');
    // A 429 was not acted on: register is sent again only after it.
    expect(counts()).toEqual({ list: 3, create: 1, register: 2, get: 3 });
    expect(result.calls).toEqual({ list: 1, get: 2, create: 1, register: 1, set_current: 0 });
  });

  it('a 5xx that outlasts the retries fails the run with the kind, and the next run resumes', async () => {
    sandbox.addFault({ fault: { kind: 'status', status: 500 }, operations: ['list'] });
    const failed = await run('prepare');
    expect(failed.outcome).toBe('failed');
    expect(failed.failure).toMatchObject({ action: 'find', kind: 'upstream' });
    expect(failed.steps.at(-1)).toMatchObject({ action: 'find', status: 'failed' });
    expect(failed.steps.at(-1)?.detail).toMatch(/^upstream: /);
    expect(counts()).toEqual({ list: 4 });
    sandbox.clearFaults();
    expect((await run('prepare')).outcome).toBe('ready');
  });

  it('a register that answers 5xx is not re-sent: the state is read, and the next run registers', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    sandbox.addFault({ fault: { kind: 'status', status: 500 }, operations: ['register'] });
    const failed = await run('prepare');
    expect(failed.failure).toMatchObject({ action: 'register', kind: 'at_unclear' });
    expect(counts().register).toBe(1);
    expect(failed.sequence).toMatchObject({ serie: '2027', registered: false });
    expect(isPending('2027')).toBe(true);
    sandbox.clearFaults();
    const from = mark();
    const resumed = await run('prepare');
    expect(resumed.outcome).toBe('ready');
    expect(counts(from)).toEqual({ list: 1, register: 1, get: 1 });
  });
});

describe('lost answers', () => {
  it('a create whose answer is dropped is resolved by listing: exactly one serie', async () => {
    sandbox.addFault({ fault: { kind: 'drop_response' }, operations: ['create'], times: 1 });
    const result = await run('prepare');
    expect(result.outcome).toBe('ready');
    expect(series()).toEqual(['2022', '2027']);
    expect(counts()).toEqual({ list: 2, create: 1, get: 1 });
  });

  it('a create that hangs past the client timeout and is not in the list: the run fails, the next creates it once', async () => {
    sandbox.addFault({ fault: { kind: 'hang' }, operations: ['create'], times: 1 });
    const failed = await run('prepare', { client: ix({ timeoutMs: 250 }) });
    expect(failed.failure).toMatchObject({ action: 'create', kind: 'timeout' });
    expect(counts()).toEqual({ list: 2, create: 1 });
    expect(series()).toEqual(['2022']);
    expect((await run('prepare')).outcome).toBe('ready');
    expect(series()).toEqual(['2022', '2027']);
  });

  it('a dropped register answer: not re-sent; the state shows AT registered it', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    sandbox.addFault({ fault: { kind: 'drop_response' }, operations: ['register'], times: 1 });
    const result = await run('prepare');
    expect(result.outcome).toBe('ready');
    expect(result.fallback).toBeUndefined();
    expect(trail(result)).toEqual(['find:done', 'create:done', 'register:done', 'verify:done']);
    expect(counts()).toEqual({ list: 1, create: 1, register: 1, get: 2 });
  });

  it('a dropped set_current answer is retried (idempotent PUT)', async () => {
    await run('prepare');
    sandbox.addFault({ fault: { kind: 'drop_response' }, operations: ['set_current'], times: 1 });
    const from = mark();
    const result = await run('activate');
    expect(result.outcome).toBe('activated');
    expect(counts(from)).toEqual({ list: 1, set_current: 2, get: 1 });
  });
});

describe('concurrent runs (without the lock: the plan alone keeps them safe)', () => {
  it.each(['register', 'pending'] as const)('two prepares at once (create: %s) end with exactly one serie', async (onCreate) => {
    sandbox.setAt({ onCreate });
    // Latency makes both lists answer before either create: a real race.
    sandbox.setLatency(30);
    const [a, b] = await Promise.all([run('prepare'), run('prepare')]);
    expect(a.outcome).not.toBe('failed');
    expect(b.outcome).not.toBe('failed');
    expect(counts().create).toBe(2);
    expect(series()).toEqual(['2022', '2027']);
    expect(isPending('2027')).toBe(false);
  });

  it('two activates at once end with one serie, registered and default', async () => {
    sandbox.setLatency(30);
    const [a, b] = await Promise.all([run('activate'), run('activate')]);
    expect([a.outcome, b.outcome]).toContain('activated');
    expect(a.outcome).not.toBe('failed');
    expect(b.outcome).not.toBe('failed');
    expect(series()).toEqual(['2022', '2027']);
    expect(defaultSerie()).toBe('2027');
  });
});

describe('AT refusal and fallback names', () => {
  it('AT refusing every name by name: at most one new serie per run, none default, the reason in the result; then it resumes', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    sandbox.addFault({ fault: { kind: 'status', status: 422, body: NAME_REFUSED }, operations: ['register'] });
    const first = await run('activate');
    expect(first.failure).toMatchObject({ action: 'create', kind: 'name_limit' });
    expect(first.failure?.message).toContain("the next run will create '2027B'");
    expect(series()).toEqual(['2022', '2027']);
    const second = await run('activate');
    expect(second.failure).toMatchObject({ kind: 'name_limit' });
    expect(series()).toEqual(['2022', '2027', '2027B']);
    const third = await run('activate');
    expect(third.failure).toMatchObject({ action: 'register', kind: 'at_refused' });
    expect(third.failure?.message).toContain('Sequence name not allowed.');
    expect(series()).toEqual(['2022', '2027', '2027B', '2027C']);
    expect(defaultSerie()).toBe('2022');

    sandbox.clearFaults();
    const from = mark();
    const resumed = await run('activate');
    expect(resumed).toMatchObject({ outcome: 'activated', serie: '2027' });
    expect(resumed.fallback).toBeUndefined();
    expect(counts(from)).toEqual({ list: 1, register: 1, get: 2, set_current: 1 });
    expect(defaultSerie()).toBe('2027');
  });

  it('uses the next name when AT refuses the first by name, reports it, and never makes the refused one default', async () => {
    await run('prepare', { client: ix() }); // nothing yet: create it pending below
    sandbox.reset();
    sandbox.setAt({ onCreate: 'pending' });
    await ix().create({ serie: '2027', isDefault: false }); // made by an earlier day's run
    sandbox.addFault({ fault: { kind: 'status', status: 422, body: NAME_REFUSED }, operations: ['register'], times: 1 });
    const prepare = await run('prepare');
    expect(prepare).toMatchObject({ outcome: 'ready', serie: '2027B' });
    expect(prepare.fallback?.from).toBe('2027');
    expect(prepare.fallback?.reason).toContain('Sequence name not allowed.');
    expect(trail(prepare)).toEqual(['find:done', 'register:failed', 'create:done', 'register:done', 'verify:done']);
    expect(prepare.steps[1]).toMatchObject({ serie: '2027' });
    expect(isPending('2027')).toBe(true);
    expect(isPending('2027B')).toBe(false);

    // Later runs keep the registered fallback and still say why.
    const from = mark();
    const activate = await run('activate');
    expect(activate).toMatchObject({ outcome: 'activated', serie: '2027B' });
    expect(activate.fallback?.reason).toContain("'2027': exists but is not registered");
    expect(counts(from)).toEqual({ list: 1, set_current: 1, get: 1 });
    expect(defaultSerie()).toBe('2027B');
    expect(series()).toEqual(['2022', '2027', '2027B']);
  });

  it.each([
    ['an unknown 422', { errors: [{ error: 'AT refused' }] }, 'at_unknown'],
    ['"pedido em processamento"', { errors: [{ error: 'Pedido em processamento' }] }, 'at_in_progress'],
    ['code 004 (no AT credentials)', { errors: { code: '004', message: 'Sem credenciais AT' } }, 'at_account'],
    ['a trial account', { errors: [{ error: 'Trial accounts cannot communicate with AT' }] }, 'at_account'],
  ])("%s fails the run with AT's words and touches no other name", async (_name, body, kind) => {
    sandbox.setAt({ onCreate: 'pending' });
    sandbox.addFault({ fault: { kind: 'status', status: 422, body: JSON.stringify(body) }, operations: ['register'] });
    const failed = await run('activate');
    expect(failed.failure).toMatchObject({ action: 'register', kind });
    expect(series()).toEqual(['2022', '2027']);
    expect(counts().register).toBe(1);
    expect(defaultSerie()).toBe('2022');
  });
});

describe('interrupted runs resume', () => {
  it('after register (the verify read fails): the next run finds it done', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    sandbox.addFault({ fault: { kind: 'status', status: 503 }, operations: ['get'] });
    const failed = await run('prepare');
    expect(failed.outcome).toBe('failed');
    expect(isPending('2027')).toBe(false);
    sandbox.clearFaults();
    const from = mark();
    expect((await run('prepare')).outcome).toBe('already_done');
    expect(counts(from)).toEqual({ list: 1 });
  });

  it('before set_current (it hangs): the next activate switches and verifies', async () => {
    await run('prepare');
    sandbox.addFault({ fault: { kind: 'hang' }, operations: ['set_current'] });
    const failed = await run('activate', { client: ix({ timeoutMs: 150, retry: { limit: 1, baseDelayMs: 5, maxDelayMs: 20 } }) });
    expect(failed.failure).toMatchObject({ action: 'set_current', kind: 'timeout' });
    expect(defaultSerie()).toBe('2022');
    sandbox.clearFaults();
    const from = mark();
    expect((await run('activate')).outcome).toBe('activated');
    expect(counts(from)).toEqual({ list: 1, set_current: 1, get: 1 });
    expect(defaultSerie()).toBe('2027');
  });

  it('a verify that reads back something else fails the run', async () => {
    await run('prepare');
    // set_current answers 200 without acting: the read-back shows it is not the default.
    sandbox.addFault({ fault: { kind: 'status', status: 200, body: '' }, operations: ['set_current'], times: 1 });
    const failed = await run('activate');
    expect(failed.failure).toMatchObject({ action: 'verify', kind: 'verify_mismatch' });
    expect(failed.failure?.message).toContain('not the default');
    expect(defaultSerie()).toBe('2022');
    expect((await run('activate')).outcome).toBe('activated');
  });

  it('stops between steps at its deadline (incomplete), and the next run resumes', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    sandbox.setLatency(1_200);
    const stopped = await run('activate', { deadline: Deadline.in(3_500) });
    expect(stopped.outcome).toBe('incomplete');
    expect(stopped.failure?.message).toContain('the next run resumes');
    sandbox.setLatency(0);
    const resumed = await run('activate');
    expect(resumed.outcome).toBe('activated');
    expect(series().filter((serie) => serie === '2027')).toHaveLength(1);
  });
});

describe('a register that answers OK but leaves AT codes pending', () => {
  it('is not a refusal: read for a bounded time, then the run fails without touching another name', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    sandbox.addFault({ fault: { kind: 'status', status: 200, body: '' }, operations: ['register'], times: 1 });
    const result = await run('activate');
    expect(result.failure).toMatchObject({ action: 'register', kind: 'at_unclear' });
    expect(defaultSerie()).toBe('2022');
    expect(series()).toEqual(['2022', '2027']);
    expect(counts().register).toBe(1);
    expect(counts().get).toBeGreaterThanOrEqual(2); // read until the settle time ran out
  });
});

describe('pagination', () => {
  it('finds the serie on a later page (no duplicate create)', async () => {
    const client = ix();
    for (const serie of ['2023', '2024', '2025', '2026']) await client.create({ serie, isDefault: false });
    await client.create({ serie: '2027', isDefault: false });
    sandbox.setVariants({ pageSize: 1 });
    const from = mark();
    const result = await run('prepare');
    expect(result.outcome).toBe('already_done');
    expect(counts(from)).toEqual({ list: 6 }); // six pages of one
    expect(series().filter((serie) => serie === '2027')).toHaveLength(1);
  });

  it('registers a pending serie found on the last page', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    const client = ix();
    for (const serie of ['2024', '2025', '2026', '2027']) await client.create({ serie, isDefault: false });
    sandbox.setVariants({ pageSize: 2 });
    const from = mark();
    const result = await run('prepare');
    expect(result.outcome).toBe('ready');
    expect(counts(from)).toEqual({ list: 3, register: 1, get: 1 });
  });
});

describe("a person's default with a two-digit year", () => {
  it.each(['FT27', '27A'])("activate leaves a default '%s' (a person's choice for 2027) as it is", async (serie) => {
    sandbox.seedAccount([{ serie: '2026' }, { serie: '2027' }, { serie, default: true }]);
    const from = mark();
    const result = await run('activate');
    expect(result).toMatchObject({ outcome: 'already_done', serie, sequence: { serie, isDefault: true } });
    expect(result.note).toContain(`'${serie}' names 2027`);
    expect(defaultSerie()).toBe(serie);
    expect(counts(from)).toEqual({ list: 1 });
  });

  it("activate switches from last year's 'FT26' to 2027", async () => {
    sandbox.seedAccount([{ serie: '2027' }, { serie: 'FT26', default: true }]);
    expect(await run('activate')).toMatchObject({ outcome: 'activated', serie: '2027' });
    expect(defaultSerie()).toBe('2027');
  });
});

describe('dry run', () => {
  it('lists once, plans the steps, changes nothing', async () => {
    const before = sandbox.sequences();
    const dry = await run('activate', { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, outcome: 'activated', serie: '2027' });
    expect(trail(dry)).toEqual(['find:done', 'create:planned', 'register:planned', 'set_current:planned', 'verify:planned']);
    expect(counts()).toEqual({ list: 1 });
    expect(sandbox.sequences()).toEqual(before);
  });

  it('says already_done when nothing would change', async () => {
    await run('activate');
    const from = mark();
    const dry = await run('activate', { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, outcome: 'already_done', serie: '2027' });
    expect(trail(dry)).toEqual(['find:done']);
    expect(counts(from)).toEqual({ list: 1 });
  });
});

describe('readiness', () => {
  it('reports exists/registered/current with one list call', async () => {
    const client = ix();
    expect(await readiness({ client, year: 2027, templates: TEMPLATES })).toMatchObject({
      year: 2027,
      serie: null,
      exists: false,
      registered: false,
      current: false,
      sequence: null,
    });
    await run('prepare');
    let from = mark();
    expect(await readiness({ client, year: 2027, templates: TEMPLATES })).toMatchObject({ serie: '2027', exists: true, registered: true, current: false });
    expect(counts(from)).toEqual({ list: 1 });
    await run('activate');
    from = mark();
    expect(await readiness({ client, year: 2027, templates: TEMPLATES })).toMatchObject({ serie: '2027', current: true });
    expect(counts(from)).toEqual({ list: 1 });
  });
});

describe('a create that InvoiceXpress makes the default (sandbox variant createBecomesDefault)', () => {
  it('prepare puts the previous default back in the same run and says so (a note and a set_current step)', async () => {
    sandbox.setVariants({ createBecomesDefault: true });
    const result = await run('prepare');
    expect(result.outcome).toBe('ready');
    expect(defaultSerie()).toBe('2022');
    expect(trail(result)).toEqual(['find:done', 'create:done', 'set_current:done', 'verify:done']);
    expect(result.steps[2]).toMatchObject({ action: 'set_current', serie: '2022' });
    expect(result.note).toContain("made the new serie '2027' the default");
    expect(result.sequence).toMatchObject({ serie: '2027', isDefault: false, registered: true });
    expect(counts()).toEqual({ list: 1, create: 1, get: 1, set_current: 1 });
  });

  it('activate with AT pending on create: the default is put back, then moved only once the new serie is registered', async () => {
    sandbox.setVariants({ createBecomesDefault: true });
    sandbox.setAt({ onCreate: 'pending' });
    const result = await run('activate');
    expect(result.outcome).toBe('activated');
    expect(trail(result)).toEqual(['find:done', 'create:done', 'set_current:done', 'register:done', 'set_current:done', 'verify:done']);
    expect(defaultSerie()).toBe('2027');
    const switches = sandbox.requests.filter((request) => request.operation === 'set_current').map((request) => request.path);
    expect(switches).toHaveLength(2);
  });

  it('a put-back that fails ends the run failed at set_current, naming the default to restore', async () => {
    sandbox.setVariants({ createBecomesDefault: true });
    sandbox.addFault({ fault: { kind: 'status', status: 500 }, operations: ['set_current'] });
    const result = await run('prepare');
    expect(result.outcome).toBe('failed');
    expect(result.failure).toMatchObject({ action: 'set_current', kind: 'upstream' });
    expect(result.note).toContain("putting '2022' back failed");
    expect(defaultSerie()).toBe('2027');
  });

  it('without the variant nothing is put back (and the default never moved)', async () => {
    const result = await run('prepare');
    expect(result.note).toBeUndefined();
    expect(trail(result)).toEqual(['find:done', 'create:done', 'verify:done']);
    expect(defaultSerie()).toBe('2022');
  });
});
