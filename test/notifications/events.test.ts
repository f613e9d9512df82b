import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EVENT_DATA_SCHEMAS,
  MAX_EVENT_BYTES,
  MAX_TEXT_CHARS,
  ServiceEventSchema,
  draftsOfCreate,
  draftsOfRegister,
  draftsOfRun,
  draftsOfSetCurrent,
  eventBody,
  eventBytes,
  sealEvents,
} from '../../shared/notifications/events.ts';
import type { EventDraft } from '../../shared/notifications/events.ts';
import { NotificationEventSchema } from '../../shared/notifications/model.ts';
import type { Sequence } from '../../shared/sequences/sequence.ts';
import type { RolloverFamilyResult, RolloverResult, RolloverStep } from '../../shared/rollover/result.ts';

const at = '2027-01-01T00:00:02.000Z';
const context = { account: 'acme', stage: 'test', runId: '2027-20270101T000000000Z-abcdef' };

function sequence(overrides: Partial<Sequence> = {}): Sequence {
  return {
    id: 146200,
    serie: '2027',
    isDefault: true,
    registered: true,
    documents: {
      invoice: { sequenceId: 146200, lastNumber: 0, validationCode: 'ABCD1230', atcud: 'registered' },
      fees_note: { sequenceId: 146213, lastNumber: 0, validationCode: null, atcud: 'not_applicable' },
    },
    ...overrides,
  };
}

function result(overrides: Partial<RolloverResult> = {}): RolloverResult {
  return {
    runId: context.runId,
    year: 2027,
    serie: '2027',
    phase: 'activate',
    dryRun: false,
    outcome: 'activated',
    steps: [
      { action: 'find', status: 'done', detail: 'listed' },
      { action: 'set_current', status: 'done', serie: '2027', detail: 'switched' },
    ],
    sequence: sequence(),
    startedAt: '2027-01-01T00:00:00.000Z',
    finishedAt: at,
    previousDefault: { id: 146090, serie: '2026' },
    ...overrides,
  };
}

const done = (action: RolloverStep['action'], serie = '2027'): RolloverStep => ({ action, status: 'done', serie, detail: action });
const types = (drafts: readonly EventDraft[]): string[] => drafts.map((draft) => draft.type);

describe('draftsOfRun', () => {
  it('an activation: serie.activated with the previous and the new default and the per-type sequence ids', () => {
    const [draft, ...rest] = draftsOfRun(result(), 'schedule');
    expect(rest).toEqual([]);
    expect(draft).toEqual({
      type: 'serie.activated',
      timestamp: at,
      data: {
        previous: { id: 146090, serie: '2026' },
        current: { id: 146200, serie: '2027', isDefault: true, registered: true, sequenceIds: { invoice: 146200, fees_note: 146213 } },
      },
    });
  });

  it('a first prepare: created then registered, in step order; the default is not touched', () => {
    const prepared = result({
      phase: 'prepare',
      outcome: 'ready',
      steps: [done('create'), done('register'), done('verify')],
      sequence: sequence({ isDefault: false }),
      previousDefault: undefined,
    });
    expect(types(draftsOfRun(prepared, 'schedule'))).toEqual(['serie.created', 'serie.registered']);
  });

  it('the put-back of a default InvoiceXpress moved is not an activation', () => {
    const putBack = result({
      phase: 'prepare',
      outcome: 'ready',
      steps: [done('create'), done('set_current', '2026')],
      sequence: sequence({ isDefault: false, registered: false }),
    });
    expect(types(draftsOfRun(putBack, 'schedule'))).toEqual(['serie.created']);
    // AT registered it at its create: the run registered it.
    const atCreate = result({ phase: 'prepare', outcome: 'ready', steps: [done('create'), done('verify')], sequence: sequence({ isDefault: false }) });
    expect(types(draftsOfRun(atCreate, 'schedule'))).toEqual(['serie.created', 'serie.registered']);
  });

  it('a fallback put to use, and a failure that pages, with the alarm decision of the log line', () => {
    const fellBack = result({
      serie: '2027B',
      sequence: sequence({ serie: '2027B' }),
      steps: [done('set_current', '2027B')],
      fallback: { from: '2027', reason: "'2027': AT refused" },
    });
    expect(types(draftsOfRun(fellBack, 'schedule'))).toEqual(['serie.activated', 'rollover.fallback']);
    const failed = result({ outcome: 'failed', steps: [], failure: { action: 'register', kind: 'at_account', message: 'AT said no' } });
    const [event] = draftsOfRun(failed, 'schedule');
    expect(event).toMatchObject({
      type: 'rollover.failed',
      data: { year: 2027, phase: 'activate', serie: '2027', failure: { kind: 'at_account', message: 'AT said no' } },
    });
    // A scheduled activation that met a timeout does not page: the next quarter hour retries.
    expect(draftsOfRun(result({ outcome: 'failed', steps: [], failure: { action: 'find', kind: 'timeout', message: 't' } }), 'schedule')).toEqual([]);
  });

  it('nothing for a dry run, a no-op, a skipped or an incomplete run', () => {
    expect(draftsOfRun(result({ dryRun: true }), 'api')).toEqual([]);
    expect(draftsOfRun(result({ outcome: 'already_done', steps: [{ action: 'find', status: 'done', detail: 'x' }] }), 'schedule')).toEqual([]);
    expect(draftsOfRun(result({ outcome: 'skipped', steps: [] }), 'schedule')).toEqual([]);
    expect(draftsOfRun(result({ outcome: 'incomplete', steps: [], failure: { action: 'find', kind: 'deadline', message: 'd' } }), 'schedule')).toEqual([]);
  });

  it('cuts long texts so the event stays small', () => {
    const failed = result({
      outcome: 'failed',
      steps: [],
      failure: { action: 'register', kind: 'at_refused', message: 'x'.repeat(50_000) },
      note: 'n'.repeat(50_000),
    });
    const [event] = sealEvents(draftsOfRun(failed, 'api'), context, [1], context.runId);
    expect(event?.type).toBe('rollover.failed');
    if (event?.type !== 'rollover.failed') return;
    expect(event.data.failure.message).toHaveLength(MAX_TEXT_CHARS);
    expect(event.data.failure.message.endsWith('…')).toBe(true);
    expect(eventBytes(event)).toBeLessThan(MAX_EVENT_BYTES);
  });
});

describe('draftsOfRun over families (issue 19)', () => {
  const calls = { list: 0, get: 1, create: 0, register: 0, set_current: 0 };
  const family = (name: string, serie: string, isDefault: boolean, overrides: Partial<RolloverFamilyResult> = {}): RolloverFamilyResult => ({
    family: name,
    default: isDefault,
    serie,
    outcome: isDefault ? 'activated' : 'already_done',
    sequence: sequence({ id: isDefault ? 146200 : 146300, serie, isDefault }),
    calls,
    ...overrides,
  });
  const familyStep = (action: RolloverStep['action'], serie: string, name: string): RolloverStep => ({ ...done(action, serie), family: name });

  it('the activation tells serie.activated for the default family and serie.ready for each other family that is ready', () => {
    const families = [family('main', '2027', true), family('b2b', 'B2B2027', false), family('store', 'LJ27', false, { outcome: 'failed', sequence: null })];
    const drafts = draftsOfRun(
      result({ families, steps: [{ action: 'find', status: 'done', detail: 'listed' }, familyStep('set_current', '2027', 'main')] }),
      'schedule',
    );
    expect(types(drafts)).toEqual(['serie.activated', 'serie.ready']);
    expect(drafts[0]?.data).toMatchObject({ family: 'main', current: { serie: '2027' } });
    expect(drafts[1]?.data).toMatchObject({ family: 'b2b', year: 2027, sequence: { id: 146300, serie: 'B2B2027', sequenceIds: { invoice: 146200 } } });
  });

  it('a prepare tells each family its own created and registered events, and no serie.ready', () => {
    const families = [family('main', '2027', true, { outcome: 'ready' }), family('b2b', 'B2B2027', false, { outcome: 'ready' })];
    const steps = [familyStep('create', '2027', 'main'), familyStep('create', 'B2B2027', 'b2b')];
    const drafts = draftsOfRun(result({ phase: 'prepare', outcome: 'ready', families, steps }), 'schedule');
    expect(drafts.map((draft) => [draft.type, (draft.data as { family?: string }).family])).toEqual([
      ['serie.created', 'main'],
      ['serie.registered', 'main'],
      ['serie.created', 'b2b'],
      ['serie.registered', 'b2b'],
    ]);
  });

  it('an activation that switched nothing tells no serie.ready', () => {
    const families = [family('main', '2027', true, { outcome: 'already_done' }), family('b2b', 'B2B2027', false)];
    expect(draftsOfRun(result({ outcome: 'already_done', families, steps: [] }), 'schedule')).toEqual([]);
  });
});

describe('the API routes', () => {
  const previous = sequence({ id: 146090, serie: '2026' });
  it('create: created, registered when AT registered it; with default: true also activated', () => {
    expect(types(draftsOfCreate({ sequence: sequence({ isDefault: false, registered: false }) }, { isDefault: false }, at))).toEqual(['serie.created']);
    expect(types(draftsOfCreate({ sequence: sequence({ isDefault: false }) }, { isDefault: false }, at))).toEqual(['serie.created', 'serie.registered']);
    const asDefault = draftsOfCreate({ sequence: sequence() }, { isDefault: true, previousDefault: previous }, at);
    expect(types(asDefault)).toEqual(['serie.created', 'serie.registered', 'serie.activated']);
    expect(asDefault[2]).toMatchObject({ data: { previous: { id: 146090, serie: '2026' } } });
  });

  it('register and set_current tell only what this request changed', () => {
    expect(draftsOfRegister({ sequence: sequence(), sent: false }, at)).toEqual([]);
    expect(types(draftsOfRegister({ sequence: sequence(), sent: true }, at))).toEqual(['serie.registered']);
    expect(draftsOfSetCurrent({ sequence: sequence(), switched: false }, at)).toEqual([]);
    const [switched] = draftsOfSetCurrent({ sequence: sequence(), previousDefault: previous, switched: true }, at);
    expect(switched).toMatchObject({ type: 'serie.activated', data: { previous: { id: 146090 }, current: { id: 146200, isDefault: true } } });
  });
});

describe('sealEvents', () => {
  it('ids from the origin, one sequence number each, the context in every data; the body is the event', () => {
    const events = sealEvents(
      draftsOfCreate({ sequence: sequence() }, { isDefault: true }, at),
      { account: 'acme', stage: 'prod', requestId: 'req-1' },
      [7, 8, 9],
      'req-1',
    );
    expect(events.map((event) => event.id)).toEqual(['evt_req-1_1', 'evt_req-1_2', 'evt_req-1_3']);
    expect(events.map((event) => event.data.sequenceNumber)).toEqual([7, 8, 9]);
    for (const event of events) {
      expect(event.data).toMatchObject({ version: 1, account: 'acme', stage: 'prod', requestId: 'req-1' });
      expect(event.data).not.toHaveProperty('runId');
      expect(Object.keys(JSON.parse(eventBody(event)) as object)).toEqual(['type', 'timestamp', 'data']);
      expect(NotificationEventSchema.safeParse(event).success).toBe(true);
      expect(ServiceEventSchema.safeParse(event).success).toBe(true);
    }
  });

  it('refuses to seal more events than it has sequence numbers for', () => {
    expect(() => sealEvents(draftsOfRun(result(), 'api'), context, [], context.runId)).toThrow(/1 events, 0 sequence numbers/);
  });
});

// ---- property: whatever a run's result, its events parse, fit, and follow the run ----------------

const documentArbitrary = fc.record({
  sequenceId: fc.option(fc.integer({ min: 1, max: 10_000_000 }), { nil: null }),
  lastNumber: fc.option(fc.nat(), { nil: null }),
  validationCode: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
  atcud: fc.constantFrom('registered' as const, 'pending' as const, 'not_applicable' as const, 'unknown' as const),
});
const serieArbitrary = fc.constantFrom('2027', '2027B', '2027C', 'FT2027');
const sequenceArbitrary = fc.record({
  id: fc.integer({ min: 1, max: 10_000_000 }),
  serie: serieArbitrary,
  isDefault: fc.boolean(),
  registered: fc.boolean(),
  documents: fc.dictionary(fc.string({ minLength: 1, maxLength: 30 }), documentArbitrary, { maxKeys: 40 }),
});
const stepArbitrary = fc.record({
  action: fc.constantFrom('find' as const, 'read' as const, 'create' as const, 'register' as const, 'set_current' as const, 'verify' as const),
  status: fc.constantFrom('done' as const, 'skipped' as const, 'planned' as const, 'failed' as const),
  serie: serieArbitrary,
  detail: fc.string({ maxLength: 100 }),
});
const resultArbitrary = fc.record({
  runId: fc.constant(context.runId),
  year: fc.constant(2027),
  serie: serieArbitrary,
  phase: fc.constantFrom('prepare' as const, 'activate' as const, 'verify' as const),
  dryRun: fc.boolean(),
  outcome: fc.constantFrom('ready' as const, 'activated' as const, 'already_done' as const, 'failed' as const, 'incomplete' as const, 'skipped' as const),
  steps: fc.array(stepArbitrary, { maxLength: 12 }),
  sequence: fc.option(sequenceArbitrary, { nil: null }),
  startedAt: fc.constant('2027-01-01T00:00:00.000Z'),
  finishedAt: fc.constant(at),
  fallback: fc.option(fc.record({ from: fc.constant('2027'), reason: fc.string({ maxLength: 5_000 }) }), { nil: undefined }),
  failure: fc.option(
    fc.record({
      action: fc.constant('register' as const),
      kind: fc.constantFrom('at_account', 'timeout', 'not_ready'),
      message: fc.string({ maxLength: 5_000 }),
    }),
    { nil: undefined },
  ),
  previousDefault: fc.option(fc.record({ id: fc.integer({ min: 1, max: 99 }), serie: fc.constant('2026') }), { nil: undefined }),
});

describe('events of any run (property)', () => {
  it("parse against their type's schema, stay under 20 KB, come in order, and never for a dry run", () => {
    fc.assert(
      fc.property(resultArbitrary, fc.constantFrom('schedule' as const, 'api' as const, 'cli' as const), (run, trigger) => {
        const drafts = draftsOfRun(run, trigger);
        if (run.dryRun) expect(drafts).toEqual([]);
        const events = sealEvents(
          drafts,
          context,
          drafts.map((_, index) => index + 1),
          context.runId,
        );
        const order = ['serie.created', 'serie.registered', 'serie.activated', 'rollover.fallback', 'rollover.failed'];
        expect(types(events)).toEqual([...types(events)].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
        expect(new Set(types(events)).size).toBe(events.length);
        for (const event of events) {
          expect(EVENT_DATA_SCHEMAS[event.type].safeParse(event.data).success, event.type).toBe(true);
          expect(eventBytes(event)).toBeLessThan(MAX_EVENT_BYTES);
          if (event.type === 'serie.activated') expect(event.data.current.isDefault).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
