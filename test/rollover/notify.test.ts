import { describe, expect, it } from 'vitest';
import { alarmFor, readyGauge, shouldNotify } from '../../shared/rollover/notify.ts';
import type { RolloverFamilyResult, RolloverOutcome, RolloverResult } from '../../shared/rollover/result.ts';
import type { RolloverTrigger } from '../../shared/rollover/schemas.ts';

/** Who hears about a run: the alarm on its log line, webhooks, and the readiness gauge. */

const registered = { id: 1, serie: '2027', isDefault: true, registered: true, documents: {} };

function result(overrides: Partial<RolloverResult> = {}): RolloverResult {
  return {
    year: 2027,
    serie: '2027',
    phase: 'activate',
    dryRun: false,
    outcome: 'activated',
    steps: [{ action: 'set_current', status: 'done', serie: '2027', detail: 'switched' }],
    sequence: registered,
    startedAt: '2027-01-01T00:00:00.000Z',
    finishedAt: '2027-01-01T00:00:01.000Z',
    ...overrides,
  };
}

function family(name: string, outcome: RolloverOutcome, fellBack: boolean): RolloverFamilyResult {
  const calls = { list: 0, get: 1, create: 0, register: 0, set_current: 0 };
  return { family: name, default: false, serie: 'FR2027B', outcome, sequence: null, calls, ...(fellBack ? { fallback: { from: 'FR2027', reason: 'r' } } : {}) };
}

const failed = (kind: string, phase: RolloverResult['phase'] = 'activate'): RolloverResult =>
  result({ outcome: 'failed', phase, steps: [], failure: { action: 'find', kind, message: 'm' } });

describe('alarmFor', () => {
  it.each<[string, RolloverResult, RolloverTrigger, string | undefined]>([
    ['a successful run', result(), 'schedule', undefined],
    ['a fallback in use', result({ fallback: { from: '2027', reason: 'r' } }), 'schedule', 'serie_fallback'],
    ['a no-op with a fallback', result({ outcome: 'already_done', fallback: { from: '2027', reason: 'r' } }), 'schedule', undefined],
    [
      'another family fell back in this run',
      result({ outcome: 'ready', phase: 'prepare', families: [family('web', 'ready', true)] }),
      'schedule',
      'serie_fallback',
    ],
    ["another family's earlier fallback, checked", result({ families: [family('web', 'already_done', true)] }), 'schedule', undefined],
    ['a scheduled activation InvoiceXpress timed out: the next quarter hour retries', failed('timeout'), 'schedule', undefined],
    ['a scheduled activation AT refused for the account', failed('at_account'), 'schedule', 'rollover_failed'],
    ['the same timeout asked by hand', failed('timeout'), 'api', 'rollover_failed'],
    ['a failed scheduled prepare', failed('upstream', 'prepare'), 'schedule', 'rollover_failed'],
    ['a failed verify', failed('not_ready', 'verify'), 'schedule', 'rollover_failed'],
    ['an incomplete run', result({ outcome: 'incomplete' }), 'schedule', undefined],
    ['a dry run that would fall back', result({ dryRun: true, fallback: { from: '2027', reason: 'r' } }), 'api', undefined],
    ['a dry run that fails', { ...failed('not_ready', 'verify'), dryRun: true }, 'api', undefined],
  ])('%s → %s', (_name, given, trigger, alarm) => {
    expect(alarmFor(given, trigger)).toBe(alarm);
  });
});

describe('shouldNotify', () => {
  it('a run that changed something, or a failure that pages; never a no-op or a dry run', () => {
    expect(shouldNotify(result(), undefined)).toBe(true);
    expect(shouldNotify(result({ outcome: 'already_done', steps: [{ action: 'verify', status: 'skipped', detail: 'nothing' }] }), undefined)).toBe(false);
    expect(shouldNotify(failed('timeout'), undefined)).toBe(false);
    expect(shouldNotify(failed('at_account'), 'rollover_failed')).toBe(true);
    const createdThenFailed = result({ outcome: 'failed', steps: [{ action: 'create', status: 'done', serie: '2027', detail: 'created' }] });
    expect(shouldNotify(createdThenFailed, undefined)).toBe(true);
    expect(shouldNotify(result({ dryRun: true, steps: [{ action: 'create', status: 'planned', detail: 'p' }] }), undefined)).toBe(false);
  });
});

describe('readyGauge', () => {
  it('1 only when the year is ready for the phase', () => {
    expect(readyGauge(result())).toBe(1);
    expect(readyGauge(result({ sequence: { ...registered, isDefault: false } }))).toBe(0);
    expect(readyGauge(result({ phase: 'prepare', outcome: 'ready', sequence: { ...registered, isDefault: false } }))).toBe(1);
    expect(readyGauge(failed('timeout'))).toBe(0);
    expect(readyGauge(result({ dryRun: true }))).toBeUndefined();
    expect(readyGauge(result({ outcome: 'skipped' }))).toBeUndefined();
  });
});
