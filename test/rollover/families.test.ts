import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { familiesProblems, familyCollisions, templatesCanCollide } from '../../shared/rollover/families.ts';
import type { SerieFamily } from '../../shared/rollover/families.ts';
import { yearNamedBy } from '../../shared/rollover/plan.ts';
import { runRollover } from '../../shared/rollover/rollover.ts';
import { serieNames } from '../../shared/rollover/settings.ts';
import type { RolloverPhase } from '../../shared/rollover/schemas.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';
import { memoryAccount } from './memory-client.ts';
import type { MemoryAccount } from './memory-client.ts';

/** Families of series (issue 19): the collision rule, and runs over three families from every state. */

const now = () => new Date('2026-12-20T10:00:00Z');

describe('templatesCanCollide', () => {
  const token = fc.constantFrom('A', 'b', 'B', 'F', 'R', '2', '0', '7', '9', '-', '{year}', '{yy}');
  const template = fc.array(token, { minLength: 1, maxLength: 5 }).map((tokens) => tokens.join(''));
  const year = fc.integer({ min: 2000, max: 2999 });

  it('is never wrong when two templates give the same name, for any years and any letter case', () => {
    fc.assert(
      fc.property(template, template, year, year, (a, b, yearA, yearB) => {
        const [nameA, nameB] = [serieNames([a], yearA)[0] ?? '', serieNames([b], yearB)[0] ?? ''];
        if (nameA.toUpperCase() === nameB.toUpperCase()) expect(templatesCanCollide(a, b), `${a}@${String(yearA)} = ${b}@${String(yearB)}`).toBe(true);
        expect(templatesCanCollide(a, b)).toBe(templatesCanCollide(b, a));
      }),
      { numRuns: 5_000 },
    );
  });

  it('finds every name a template gives (a literal template of that name collides with it)', () => {
    fc.assert(
      fc.property(template, year, (a, y) => {
        expect(templatesCanCollide(a, serieNames([a], y)[0] ?? '')).toBe(true);
      }),
    );
  });

  it.each([
    ['{year}', '20{yy}', true],
    ['{year}B', '{year}b', true],
    ['{year}', '{yy}{yy}', true],
    ['FR{year}', 'FR{year}B', false],
    ['{year}', 'B2B{yy}', false],
    ['B2B{yy}', 'B2B{year}', false],
    ['LJ{yy}', 'LJ1{yy}', false],
  ])('%s and %s: %s', (a, b, collide) => {
    expect(templatesCanCollide(a, b)).toBe(collide);
  });

  it("accepts the issue's example families, and refuses two defaults and colliding families", () => {
    const example = [
      { name: 'main', templates: ['{year}', '{year}B', '{year}C'], default: true },
      { name: 'b2b', templates: ['B2B{year}', 'B2B{year}B'], default: false },
      { name: 'store', templates: ['LJ{yy}'], default: false },
    ];
    expect(familiesProblems(example)).toEqual([]);
    expect(familiesProblems([...example, { name: 'web', templates: ['2{yy}', '20{yy}'], default: true }])).toEqual([
      'at most one family is the default',
      'families "main" and "web" can give the same serie name ("{year}" and "20{yy}")',
    ]);
    expect(
      familyCollisions([
        { name: 'a', templates: ['FR{year}'] },
        { name: 'b', templates: ['fr{year}'] },
      ]),
    ).toHaveLength(1);
  });
});

// ---- Runs over three families, against an in-memory account ----------------------------------

const FAMILIES: SerieFamily[] = [
  { name: 'main', templates: ['{year}', '{year}B'], default: true },
  { name: 'web', templates: ['FR{year}', 'FR{year}B'], default: false },
  { name: 'b2b', templates: ['B2B{yy}', 'B2B{yy}B'], default: false },
];
const NAMES = new Map(FAMILIES.map((family) => [family.name, serieNames(family.templates, 2027)]));
const familyOfSerie = (serie: string): string | undefined => [...NAMES].find(([, names]) => names.includes(serie))?.[0];
const ALL_NAMES = [...NAMES.values()].flat();

type NameStatus = 'missing' | 'pending' | 'registered' | 'unknown';

const accountArbitrary = fc.record({
  names: fc.tuple(...ALL_NAMES.map(() => fc.constantFrom<NameStatus>('missing', 'missing', 'pending', 'registered', 'unknown'))),
  others: fc.subarray(['2026', 'FR2026', 'B2B26', '2028', 'FT2027']),
  defaultPick: fc.integer({ min: -1, max: 10 }),
  refused: fc.subarray(ALL_NAMES),
  accountFailure: fc.boolean(),
  registerOnCreate: fc.boolean(),
  phase: fc.constantFrom<RolloverPhase>('prepare', 'activate', 'verify'),
  dryRun: fc.boolean(),
});
type Generated = typeof accountArbitrary extends fc.Arbitrary<infer T> ? T : never;

function accountFrom(generated: Generated): MemoryAccount {
  const account = memoryAccount({ registerOnCreate: generated.registerOnCreate, refuse: generated.refused, accountFailure: generated.accountFailure });
  for (const serie of generated.others) account.add(serie, { registered: true });
  generated.names.forEach((status, index) => {
    if (status === 'missing') return;
    account.add(ALL_NAMES[index] ?? '', { registered: status === 'registered', hiddenInList: status === 'unknown' });
  });
  const pick = [...account.state.keys()][generated.defaultPick];
  if (pick !== undefined) for (const [id, entry] of account.state) entry.isDefault = id === pick;
  return account;
}

/** Each family's series as the account holds them (serie, registered, default), to compare before and after. */
function familyState(account: MemoryAccount, family: string): string {
  const names = NAMES.get(family) ?? [];
  return JSON.stringify([...account.state].filter(([, entry]) => names.includes(entry.serie)).map(([id, entry]) => [id, entry.serie, entry.registered]));
}

describe('rollover runs over three families (in-memory account)', () => {
  it('no step for one family changes another family; one new serie per family; at most one default switch, to the default family', async () => {
    await fc.assert(
      fc.asyncProperty(accountArbitrary, async (generated) => {
        const account = accountFrom(generated);
        const before = new Map(FAMILIES.map((family) => [family.name, familyState(account, family.name)]));
        const defaultBefore = account.defaultSerie();
        const { phase, dryRun } = generated;
        const result = await runRollover({
          client: account.client,
          phase,
          year: 2027,
          dryRun,
          families: FAMILIES,
          deadline: Deadline.in(60_000),
          now,
          settle: { settleMs: 0, pollMs: 0 },
        });

        expect(account.calls.filter((call) => call === 'list')).toHaveLength(1);
        expect(result.families?.map((family) => family.family)).toEqual(['main', 'web', 'b2b']);
        // Every step that reads or changes a serie of a family is that family's step (the default
        // family's verify may read the account's default back, whichever family's it is).
        for (const step of result.steps) {
          if (!['read', 'create', 'register', 'set_current'].includes(step.action)) continue;
          if (step.serie !== undefined && familyOfSerie(step.serie) !== undefined) expect(step.family, JSON.stringify(step)).toBe(familyOfSerie(step.serie));
        }
        // A family no done step of which changed anything is as it was.
        for (const family of FAMILIES) {
          const acted = result.steps.some((step) => step.family === family.name && step.status === 'done' && ['create', 'register'].includes(step.action));
          if (!acted) expect(familyState(account, family.name), family.name).toBe(before.get(family.name));
        }
        // At most one new serie per family, and none outside the families.
        const created = account
          .series()
          .filter((serie) => !generated.others.includes(serie) && !generated.names.some((status, index) => status !== 'missing' && ALL_NAMES[index] === serie));
        for (const family of FAMILIES) expect(created.filter((serie) => familyOfSerie(serie) === family.name).length).toBeLessThanOrEqual(1);
        expect(created.every((serie) => familyOfSerie(serie) !== undefined)).toBe(true);
        // At most one switch of the default, only in activate, only to a registered name of the default family.
        const switches = account.calls.filter((call) => call.startsWith('set_current'));
        expect(switches.length).toBeLessThanOrEqual(1);
        const defaultAfter = account.defaultSerie();
        if (defaultAfter !== defaultBefore) {
          expect(phase).toBe('activate');
          expect(familyOfSerie(defaultAfter ?? '')).toBe('main');
          expect([...account.state.values()].find((entry) => entry.isDefault)?.registered).toBe(true);
        }
        const superseding = defaultBefore !== undefined && !(NAMES.get('main') ?? []).includes(defaultBefore) && (yearNamedBy(defaultBefore) ?? 0) >= 2027;
        if (superseding) expect(defaultAfter).toBe(defaultBefore);
        // Dry runs and verify read only; an account-wide AT failure registers at most once in the whole run.
        if (dryRun || phase === 'verify') expect(account.calls.every((call) => call === 'list' || call.startsWith('get'))).toBe(true);
        if (dryRun) expect(account.calls).toEqual(['list']);
        if (generated.accountFailure) expect(account.calls.filter((call) => call === 'register').length).toBeLessThanOrEqual(1);
        // activate makes no other family's serie: it checks them (reads), never creates or registers for them.
        if (phase === 'activate') expect(result.steps.filter((step) => step.family !== 'main' && ['create', 'register'].includes(step.action))).toEqual([]);
        // The result tells the truth: a failure names a family (or the run's list), and the top level is the default family's.
        if (result.outcome === 'failed') expect(result.failure).toBeDefined();
        expect(result.serie).toBe(result.families?.[0]?.serie);
        for (const family of result.families ?? []) if (family.failure !== undefined) expect(family.failure.family).toBe(family.family);
      }),
      { numRuns: 500 },
    );
  });
});

describe('runs over families, case by case (in-memory account)', () => {
  const run = (account: MemoryAccount, phase: RolloverPhase, families: SerieFamily[] = FAMILIES) =>
    runRollover({ client: account.client, phase, year: 2027, dryRun: false, families, deadline: Deadline.in(60_000), now, settle: { settleMs: 0, pollMs: 0 } });

  it('an account-wide AT failure stops the run for every family: the others are not run, and say so', async () => {
    const account = memoryAccount({ registerOnCreate: false, accountFailure: true });
    account.add('2026', { registered: true, isDefault: true });
    const result = await run(account, 'prepare');
    expect(result).toMatchObject({ outcome: 'failed', failure: { family: 'main', kind: 'at_account' } });
    expect(result.families?.map((family) => [family.family, family.outcome, family.failure?.kind])).toEqual([
      ['main', 'failed', 'at_account'],
      ['web', 'failed', 'at_account'],
      ['b2b', 'failed', 'at_account'],
    ]);
    expect(result.families?.[1]?.failure?.message).toContain("not run: the run stopped at family 'main'");
    expect(account.calls.filter((call) => call === 'create')).toHaveLength(1);
  });

  it('a family already registered is left as it is: prepare costs it no call', async () => {
    const account = memoryAccount();
    account.add('2026', { registered: true, isDefault: true });
    account.add('FR2027', { registered: true });
    const result = await run(account, 'prepare');
    expect(result.families?.find((family) => family.family === 'web')).toMatchObject({
      serie: 'FR2027',
      outcome: 'already_done',
      calls: { list: 0, get: 0, create: 0, register: 0, set_current: 0 },
    });
    expect(result.outcome).toBe('ready');
  });

  it('without a default family, activate switches nothing and checks every family', async () => {
    const account = memoryAccount();
    account.add('2026', { registered: true, isDefault: true });
    account.add('FR2027', { registered: true });
    const noDefault = FAMILIES.filter((family) => family.name !== 'main');
    const result = await run(account, 'activate', noDefault);
    expect(account.calls.some((call) => call.startsWith('set_current') || call === 'create' || call === 'register')).toBe(false);
    expect(account.defaultSerie()).toBe('2026');
    expect(result).toMatchObject({ outcome: 'failed', serie: 'FR2027', failure: { family: 'b2b', kind: 'not_ready' } });
    expect(result.families?.map((family) => `${family.family}:${family.outcome}`)).toEqual(['web:already_done', 'b2b:failed']);
  });

  it('one family failing for itself (its create answers 5xx) does not stop the next one', async () => {
    const account = memoryAccount();
    account.add('2026', { registered: true, isDefault: true });
    const create = account.client.create.bind(account.client);
    account.client.create = (input) => (input.serie === 'FR2027' ? Promise.reject(new Error('boom')) : create(input));
    const result = await run(account, 'prepare');
    expect(result.families?.map((family) => `${family.family}:${family.outcome}`)).toEqual(['main:ready', 'web:failed', 'b2b:ready']);
    expect(result.failure).toMatchObject({ family: 'web', action: 'create' });
    expect(account.series()).toEqual(expect.arrayContaining(['2027', 'B2B27']));
  });
});

describe('a run whose list fails', () => {
  it('fails as a whole: the failure names no family, every family says it failed', async () => {
    const account = memoryAccount();
    account.client.list = () => Promise.reject(new Error('list down'));
    const result = await runRollover({
      client: account.client,
      phase: 'prepare',
      year: 2027,
      dryRun: false,
      families: FAMILIES,
      deadline: Deadline.in(60_000),
      now,
    });
    expect(result.failure).toMatchObject({ action: 'find', kind: 'internal' });
    expect(result.failure?.family).toBeUndefined();
    expect(result.families?.map((family) => family.outcome)).toEqual(['failed', 'failed', 'failed']);
    expect(result.steps).toEqual([{ action: 'find', status: 'failed', detail: 'internal: Error: list down' }]);
  });
});
