import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextAction, planSteps } from '../../shared/rollover/plan.ts';
import { runRollover } from '../../shared/rollover/rollover.ts';
import type { RolloverPhase } from '../../shared/rollover/schemas.ts';
import type { Sequence } from '../../shared/sequence.ts';
import { memoryAccount } from './memory-client.ts';

const TEMPLATES = ['{year}', '{year}B', '{year}C'];
const CANDIDATES = ['2027', '2027B', '2027C'];
const now = () => new Date('2026-12-20T10:00:00Z');

function seq(id: number, serie: string, registered: boolean, isDefault = false): Sequence {
  return {
    id,
    serie,
    isDefault,
    registered,
    documents: { invoice: { sequenceId: id, lastNumber: 0, validationCode: registered ? 'X' : null, atcud: registered ? 'registered' : 'pending' } },
  };
}

describe('nextAction', () => {
  const old = seq(1, '2026', true, true);
  it.each<[string, Sequence[], RolloverPhase, Set<string>, string]>([
    ['nothing exists: create the first name', [old], 'prepare', new Set(), 'create 2027'],
    ['first exists pending: register it', [old, seq(2, '2027', false)], 'prepare', new Set(), 'register 2027'],
    ['first registered: done for prepare', [old, seq(2, '2027', true)], 'prepare', new Set(), 'done 2027'],
    ['first registered: set current for activate', [old, seq(2, '2027', true)], 'activate', new Set(), 'set_current 2027'],
    ['first registered and default: done', [seq(2, '2027', true, true)], 'activate', new Set(), 'done 2027'],
    ['a later registered name wins over a pending earlier one', [old, seq(2, '2027', false), seq(3, '2027B', true)], 'prepare', new Set(), 'done 2027B'],
    ['the default registered name wins over an earlier registered one', [seq(2, '2027', true), seq(3, '2027B', true, true)], 'activate', new Set(), 'done 2027B'],
    ['refused first: create the second', [old, seq(2, '2027', false)], 'prepare', new Set(['2027']), 'create 2027B'],
    ['refused first, second pending: register it', [seq(2, '2027', false), seq(3, '2027B', false)], 'prepare', new Set(['2027']), 'register 2027B'],
    ['all refused: exhausted', [], 'activate', new Set(CANDIDATES), 'exhausted'],
    ['a pending default is registered before anything else', [seq(2, '2027', false, true)], 'activate', new Set(), 'register 2027'],
  ])('%s', (_name, sequences, phase, refused, expected) => {
    const action = nextAction(sequences, CANDIDATES, phase, refused);
    const text =
      action.type === 'exhausted' ? 'exhausted' : `${action.type} ${action.type === 'create' ? action.serie : action.sequence.serie}`;
    expect(text).toBe(expected);
  });
});

describe('planSteps', () => {
  it('plans nothing when everything is done', () => {
    expect(planSteps([seq(2, '2027', true, true)], CANDIDATES, 'activate').steps).toEqual([]);
    expect(planSteps([seq(2, '2027', true)], CANDIDATES, 'prepare').steps).toEqual([]);
  });

  it('plans create, register, set_current and verify from scratch for activate', () => {
    const plan = planSteps([seq(1, '2026', true, true)], CANDIDATES, 'activate');
    expect(plan.serie).toBe('2027');
    expect(plan.steps.map((step) => `${step.action}:${step.status}`)).toEqual([
      'create:planned',
      'register:planned',
      'set_current:planned',
      'verify:planned',
    ]);
  });

  it('never plans set_current for prepare', () => {
    const plan = planSteps([seq(2, '2027', false)], CANDIDATES, 'prepare');
    expect(plan.steps.map((step) => step.action)).toEqual(['register', 'verify']);
  });
});

/** Arbitrary account states: each candidate missing, pending or registered; one default somewhere. */
const stateArbitrary = fc.record({
  names: fc.tuple(...CANDIDATES.map(() => fc.constantFrom('missing', 'pending', 'registered'))),
  defaultIndex: fc.integer({ min: -1, max: 2 }),
  refused: fc.subarray(CANDIDATES),
  registerOnCreate: fc.boolean(),
  phase: fc.constantFrom<RolloverPhase>('prepare', 'activate'),
});

describe('rollover properties (in-memory account)', () => {
  it('ends registered (and default for activate) or fails without making a refused name default; a repeat is one list call', async () => {
    await fc.assert(
      fc.asyncProperty(stateArbitrary, async ({ names, defaultIndex, refused, registerOnCreate, phase }) => {
        const account = memoryAccount({ registerOnCreate, refuse: refused });
        account.add('2026', { registered: true, isDefault: true });
        names.forEach((status, index) => {
          const serie = CANDIDATES[index] ?? '';
          // Only a registered serie can have become the default legitimately.
          if (status !== 'missing') account.add(serie, { registered: status === 'registered', isDefault: index === defaultIndex && status === 'registered' });
        });
        const initialDefault = [...account.state.values()].find((entry) => entry.isDefault)?.serie;
        const run = () => runRollover({ client: account.client, input: { phase, year: 2027, dryRun: false }, now, templates: TEMPLATES });

        // A dry run first: it only lists and changes nothing.
        const before = JSON.stringify([...account.state]);
        const dry = await runRollover({ client: account.client, input: { phase, year: 2027, dryRun: true }, now, templates: TEMPLATES });
        expect(account.calls).toEqual(['list']);
        expect(JSON.stringify([...account.state])).toBe(before);
        account.calls.length = 0;

        const result = await run();
        const series = account.series();
        expect(new Set(series).size).toBe(series.length); // never a duplicate
        const anyRegistered = names.includes('registered');
        const usable = anyRegistered || CANDIDATES.some((name) => !refused.includes(name));
        expect(result.outcome === 'failed').toBe(!usable);
        expect(dry.outcome === 'already_done').toBe(result.outcome === 'already_done');

        const current = [...account.state.values()].find((entry) => entry.isDefault);
        if (result.outcome === 'failed') {
          // Nothing was made default.
          expect(current?.serie).toBe(initialDefault);
          return;
        }
        const chosen = [...account.state.values()].find((entry) => entry.serie === result.serie);
        expect(chosen?.registered).toBe(true);
        if (phase === 'activate') expect(current?.serie).toBe(result.serie);
        else expect(current?.serie).toBe(initialDefault);
        expect(result.sequence?.serie).toBe(result.serie);
        expect(result.fallback !== undefined).toBe(result.serie !== '2027');
        // The first name is used whenever AT accepts it (or it is already registered and nothing else is default).
        if (!refused.includes('2027') && !anyRegistered) expect(result.serie).toBe('2027');

        account.calls.length = 0;
        const again = await run();
        expect(again.outcome).toBe('already_done');
        expect(again.serie).toBe(result.serie);
        expect(account.calls).toEqual(['list']);
      }),
      { numRuns: 300 },
    );
  });
});
