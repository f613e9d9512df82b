import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../shared/rollover/dry-run.ts';
import { decide, yearNamedBy } from '../../shared/rollover/plan.ts';
import type { PlanState } from '../../shared/rollover/plan.ts';
import { runRollover } from '../../shared/rollover/rollover.ts';
import type { RolloverPhase } from '../../shared/rollover/schemas.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';
import type { Sequence } from '../../shared/sequences/sequence.ts';
import { memoryAccount } from './memory-client.ts';
import type { MemoryAccount } from './memory-client.ts';

const TEMPLATES = ['{year}', '{year}B', '{year}C'];
const CANDIDATES = ['2027', '2027B', '2027C'];
const now = () => new Date('2026-12-20T10:00:00Z');

function seq(id: number, serie: string, status: 'registered' | 'pending' | 'unknown', isDefault = false): Sequence {
  const documents: Sequence['documents'] =
    status === 'unknown'
      ? {}
      : {
          invoice: {
            sequenceId: id,
            lastNumber: 0,
            validationCode: status === 'registered' ? 'X' : null,
            atcud: status === 'registered' ? 'registered' : 'pending',
          },
        };
  return { id, serie, isDefault, registered: status === 'registered', documents };
}

function state(phase: RolloverPhase, sequences: Sequence[], extra: Partial<PlanState> = {}): PlanState {
  return { phase, year: 2027, candidates: CANDIDATES, sequences, fresh: new Set(), refused: new Map(), created: 0, ...extra };
}

function describeDecision(phase: RolloverPhase, sequences: Sequence[], extra: Partial<PlanState> = {}): string {
  const decision = decide(state(phase, sequences, extra));
  switch (decision.type) {
    case 'create':
      return `create ${decision.serie}`;
    case 'stop':
      return `stop ${decision.kind}`;
    default:
      return `${decision.type} ${decision.sequence.serie}`;
  }
}

describe('yearNamedBy', () => {
  it.each([
    ['2027', 2027],
    ['FT2027', 2027],
    ['2027B', 2027],
    ['A-2026/2027', 2027],
    ['FT27', 2027],
    ['27A', 2027],
    ['FT-27', 2027],
    ['FT26-27', 2027],
    ['FT26', 2026],
    ['2027-12', 2027],
    ['2026-12-31', 2026],
    ['FT2026-27', 2026],
    ['A1270', undefined],
    ['FT127', undefined],
    ['FT7', undefined],
    ['20270', undefined],
    ['FT', undefined],
  ])('%s → %s', (serie, year) => {
    expect(yearNamedBy(serie)).toBe(year);
  });

  /** Letters and separators: never digits, so a token stays a token. */
  const noDigits = fc.stringMatching(/^[A-Z_\-/]{0,6}$/);

  it('reads a year token anywhere in the name, in four or two digits', () => {
    fc.assert(
      fc.property(noDigits, noDigits, fc.integer({ min: 2000, max: 2099 }), fc.boolean(), (before, after, year, twoDigits) => {
        const token = twoDigits ? String(year % 100).padStart(2, '0') : String(year);
        expect(yearNamedBy(`${before}${token}${after}`)).toBe(year);
      }),
    );
  });

  it('never reads a year from a longer or shorter run of digits', () => {
    fc.assert(
      fc.property(noDigits, noDigits, fc.stringMatching(/^\d{1,9}$/), (before, after, digits) => {
        const named = yearNamedBy(`${before}${digits}${after}`);
        if (digits.length === 2) expect(named).toBe(2000 + Number(digits));
        else if (digits.length === 4 && digits.startsWith('2')) expect(named).toBe(Number(digits));
        else expect(named).toBeUndefined();
      }),
    );
  });
});

describe('decide: one rule at a time', () => {
  const old = seq(1, '2026', 'registered', true);
  it.each<[string, RolloverPhase, Sequence[], Partial<PlanState>, string]>([
    ['nothing exists: create the first name', 'prepare', [old], {}, 'create 2027'],
    ['no sequences at all: create the first name', 'activate', [], {}, 'create 2027'],
    ['first exists pending: register it', 'prepare', [old, seq(2, '2027', 'pending')], {}, 'register 2027'],
    ['first exists with unknown AT status: read it first', 'prepare', [old, seq(2, '2027', 'unknown')], {}, 'read 2027'],
    [
      'unknown even after a read: register decides (never assumed registered)',
      'prepare',
      [old, seq(2, '2027', 'unknown')],
      { fresh: new Set([2]) },
      'register 2027',
    ],
    ['first registered: done for prepare', 'prepare', [old, seq(2, '2027', 'registered')], {}, 'done 2027'],
    [
      'activate sets current on a list entry carrying every code (InvoiceXpress’s word)',
      'activate',
      [old, seq(2, '2027', 'registered')],
      {},
      'set_current 2027',
    ],
    ['activate reads an entry without codes before anything', 'activate', [old, seq(2, '2027', 'unknown')], {}, 'read 2027'],
    ['activate sets current once a get said registered', 'activate', [old, seq(2, '2027', 'registered')], { fresh: new Set([2]) }, 'set_current 2027'],
    ['first registered and default: done', 'activate', [seq(2, '2027', 'registered', true)], {}, 'done 2027'],
    ['a later registered name wins over a pending earlier one', 'prepare', [old, seq(2, '2027', 'pending'), seq(3, '2027B', 'registered')], {}, 'done 2027B'],
    [
      'the default registered name wins over an earlier registered one',
      'activate',
      [seq(2, '2027', 'registered'), seq(3, '2027B', 'registered', true)],
      {},
      'done 2027B',
    ],
    ['refused first: create the second', 'prepare', [old, seq(2, '2027', 'pending')], { refused: new Map([['2027', 'no']]) }, 'create 2027B'],
    [
      'refused first, already created one serie: stop',
      'prepare',
      [old, seq(2, '2027', 'pending')],
      { refused: new Map([['2027', 'no']]), created: 1 },
      'stop name_limit',
    ],
    ['every name refused: stop', 'activate', [], { refused: new Map(CANDIDATES.map((name) => [name, 'no'])) }, 'stop at_refused'],
    ['a pending default of ours is registered first', 'activate', [seq(2, '2027', 'pending', true)], {}, 'register 2027'],
    ['a later year is the default: left alone', 'activate', [seq(1, '2028', 'registered', true)], {}, 'leave_alone 2028'],
    [
      'a person’s FT2027 is the default: left alone',
      'activate',
      [seq(1, 'FT2027', 'registered', true), seq(2, '2027', 'registered')],
      {},
      'leave_alone FT2027',
    ],
    ['a person’s unregistered FT2027 is still theirs', 'prepare', [seq(1, 'FT2027', 'pending', true)], {}, 'leave_alone FT2027'],
    ['a person’s FT27 is the default: left alone', 'activate', [seq(1, 'FT27', 'registered', true), seq(2, '2027', 'registered')], {}, 'leave_alone FT27'],
    ['a person’s 27A is the default: left alone', 'activate', [seq(1, '27A', 'registered', true), seq(2, '2027', 'registered')], {}, 'leave_alone 27A'],
    ['a person’s FT26 is switched away from in 2027', 'activate', [seq(1, 'FT26', 'registered', true), seq(2, '2027', 'registered')], {}, 'set_current 2027'],
    ['an older default is switched away from', 'activate', [seq(1, 'FT2026', 'registered', true), seq(2, '2027', 'registered')], {}, 'set_current 2027'],
    ['a default naming no year is switched away from', 'activate', [seq(1, 'A', 'registered', true), seq(2, '2027', 'registered')], {}, 'set_current 2027'],
    ['verify: registered and default is done', 'verify', [seq(2, '2027', 'registered', true)], {}, 'done 2027'],
    ['verify: registered but not default stops', 'verify', [old, seq(2, '2027', 'registered')], {}, 'stop not_ready'],
    ['verify: nothing registered stops', 'verify', [old, seq(2, '2027', 'pending')], {}, 'stop not_ready'],
  ])('%s', (_name, phase, sequences, extra, expected) => {
    expect(describeDecision(phase, sequences, extra)).toBe(expected);
  });
});

describe("decide: a person's default that names a year", () => {
  const letters = fc.stringMatching(/^[A-Z]{0,3}$/);
  const separator = fc.constantFrom('', '-', '_', '/');

  it('is left alone when it names the target year or a later one (four or two digits), switched from otherwise', () => {
    fc.assert(
      fc.property(
        letters,
        separator,
        letters,
        fc.integer({ min: 2015, max: 2040 }),
        fc.boolean(),
        fc.constantFrom<RolloverPhase>('prepare', 'activate'),
        (before, sep, after, year, twoDigits, phase) => {
          const token = twoDigits ? String(year % 100) : String(year);
          const serie = `${before}${sep}${token}${after}`;
          fc.pre(!CANDIDATES.includes(serie));
          const decision = decide(state(phase, [seq(1, serie, 'registered', true), seq(2, '2027', 'registered')], { fresh: new Set([2]) }));
          if (year >= 2027) expect(decision).toMatchObject({ type: 'leave_alone', sequence: { serie } });
          else expect(decision.type).toBe(phase === 'prepare' ? 'done' : 'set_current');
        },
      ),
    );
  });
});

describe('simulate (dry run)', () => {
  it('plans nothing when everything is done', () => {
    expect(simulate(state('activate', [seq(2, '2027', 'registered', true)])).steps).toEqual([]);
    expect(simulate(state('prepare', [seq(2, '2027', 'registered')])).steps).toEqual([]);
  });

  it('plans create, register, read, set_current and verify from scratch for activate', () => {
    const plan = simulate(state('activate', [seq(1, '2026', 'registered', true)]));
    expect(plan.end).toMatchObject({ type: 'done', sequence: { serie: '2027' } });
    expect(plan.steps.map((step) => step.action)).toEqual(['create', 'register', 'set_current', 'verify']);
    expect(plan.steps.every((step) => step.status === 'planned')).toBe(true);
  });

  it('never plans set_current for prepare, and nothing under a superseding default', () => {
    expect(simulate(state('prepare', [seq(2, '2027', 'pending')])).steps.map((step) => step.action)).toEqual(['register', 'verify']);
    const alone = simulate(state('activate', [seq(1, '2028', 'registered', true)]));
    expect([alone.end.type, alone.steps]).toEqual(['leave_alone', []]);
  });
});

// ---- Runs against an in-memory account, from generated states --------------------------------

/** 'incomplete': a document type without its sequence id in every answer (registered or not at AT). */
type NameStatus = 'missing' | 'pending' | 'registered' | 'unknown' | 'incomplete' | 'incomplete_registered';

/** The account's state before a run: what reality can leave behind, including what a person did. */
const accountArbitrary = fc.record({
  names: fc.tuple(
    ...CANDIDATES.map(() => fc.constantFrom<NameStatus>('missing', 'missing', 'pending', 'registered', 'unknown', 'incomplete', 'incomplete_registered')),
  ),
  /** Series that are not ours: last year's, a later year's, a person's. */
  others: fc.subarray(['2026', '2028', 'FT2027', 'FT2026', 'FT27', 'FT26', '27A', 'A']),
  /** Which serie is the default (index into the series that exist; none when out of range). */
  defaultPick: fc.integer({ min: -1, max: 8 }),
  refused: fc.subarray(CANDIDATES),
  accountFailure: fc.boolean(),
  registerOnCreate: fc.boolean(),
  phase: fc.constantFrom<RolloverPhase>('prepare', 'activate', 'verify'),
});

function accountFrom(generated: {
  names: NameStatus[];
  others: string[];
  defaultPick: number;
  refused: string[];
  accountFailure: boolean;
  registerOnCreate: boolean;
}): MemoryAccount {
  const account = memoryAccount({ registerOnCreate: generated.registerOnCreate, refuse: generated.refused, accountFailure: generated.accountFailure });
  for (const serie of generated.others) account.add(serie, { registered: serie !== 'A' });
  generated.names.forEach((status, index) => {
    const serie = CANDIDATES[index] ?? '';
    if (status === 'missing') return;
    const incomplete = status === 'incomplete' || status === 'incomplete_registered';
    account.add(serie, { registered: status === 'registered' || status === 'incomplete_registered', hiddenInList: status === 'unknown', incomplete });
  });
  const ids = [...account.state.keys()];
  const pick = ids[generated.defaultPick];
  if (pick !== undefined) for (const [id, entry] of account.state) entry.isDefault = id === pick;
  return account;
}

const snapshot = (account: MemoryAccount): string => JSON.stringify([...account.state]);

describe('rollover runs from every state reality can leave (in-memory account)', () => {
  it('never harms the account: default never backwards, never away from a person, never to an unregistered serie; at most one new serie; the result tells the truth', async () => {
    await fc.assert(
      fc.asyncProperty(accountArbitrary, async (generated) => {
        const { phase } = generated;
        const account = accountFrom(generated);
        const before = new Map([...account.state].map(([id, entry]) => [id, { ...entry }]));
        const defaultBefore = account.defaultSerie();
        const run = (dryRun: boolean) =>
          runRollover({
            client: account.client,
            phase,
            year: 2027,
            dryRun,
            templates: TEMPLATES,
            deadline: Deadline.in(60_000),
            now,
            settle: { settleMs: 0, pollMs: 0 },
          });

        // A dry run only lists and changes nothing.
        const unchanged = snapshot(account);
        const dry = await run(true);
        expect(account.calls).toEqual(['list']);
        expect(snapshot(account)).toBe(unchanged);
        account.calls.length = 0;

        const result = await run(false);
        const series = account.series();
        const defaultAfter = account.defaultSerie();
        const defaultEntry = [...account.state.values()].find((entry) => entry.isDefault);

        // No duplicate serie, and at most one new serie per run.
        expect(new Set(series).size).toBe(series.length);
        expect(account.calls.filter((call) => call === 'create').length).toBeLessThanOrEqual(1);
        // A default that is not ours and names 2027 or later is never moved.
        const previous = defaultBefore;
        const superseding = previous !== undefined && !CANDIDATES.includes(previous) && (yearNamedBy(previous) ?? 0) >= 2027;
        if (superseding) expect(defaultAfter).toBe(previous);
        // The default only ever moves to a registered serie InvoiceXpress answers completely, and only in activate.
        if (defaultAfter !== defaultBefore) {
          expect(phase).toBe('activate');
          expect(defaultEntry?.registered).toBe(true);
          expect(defaultEntry?.incomplete).toBe(false);
        }
        // A serie answered incomplete is never sent to AT: its registration is as it was.
        for (const [id, entry] of account.state) if (entry.incomplete) expect(entry.registered).toBe(before.get(id)?.registered);
        // set_current only on a serie InvoiceXpress answers registered and complete (its get, or its list
        // entry, read in this run: AT's codes are never taken back, so its state now is its state then).
        for (const call of account.calls.filter((each) => each.startsWith('set_current'))) {
          const entry = account.state.get(Number(call.split(' ')[1]));
          expect([entry?.registered, entry?.incomplete]).toEqual([true, false]);
        }
        // verify reads only.
        if (phase === 'verify') expect(account.calls.every((call) => call === 'list' || call.startsWith('get'))).toBe(true);
        // An account-wide refusal never touches a second name.
        if (generated.accountFailure) expect(account.calls.filter((call) => call === 'register').length).toBeLessThanOrEqual(1);

        // The result tells the truth.
        const changed = snapshot(account) !== unchanged;
        if (result.outcome === 'ready' || result.outcome === 'activated') {
          expect(changed).toBe(true);
          const chosen = [...account.state.values()].find((entry) => entry.serie === result.serie);
          expect(chosen?.registered).toBe(true);
          if (result.outcome === 'activated') expect(defaultAfter).toBe(result.serie);
        }
        if (result.outcome === 'already_done') expect(changed).toBe(false);
        if (result.outcome === 'failed') expect(result.failure).toBeDefined();
        if (result.note !== undefined) expect(superseding).toBe(true);
        if (dry.outcome === 'already_done' && phase !== 'verify') expect(result.outcome).toBe('already_done');

        // A successful run is not repeated: the next is one list call (plus verify's read).
        if (result.outcome === 'ready' || result.outcome === 'activated' || result.outcome === 'already_done') {
          account.calls.length = 0;
          const again = await run(false);
          expect(again.outcome).toBe('already_done');
          // The list's word suffices unless it hides a name's AT status or answers it incomplete (then reads).
          const hidden = generated.names.some((status) => status === 'unknown' || status.startsWith('incomplete'));
          if (phase !== 'verify' && !hidden) expect(account.calls).toEqual(['list']);
          expect(account.calls.every((call) => call === 'list' || call.startsWith('get'))).toBe(true);
        }
        // Nothing that existed before was removed or renamed.
        for (const [id, entry] of before) expect(account.state.get(id)?.serie).toBe(entry.serie);
      }),
      { numRuns: 400 },
    );
  });
});
