import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamo } from '../../local/dynamodb.ts';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import { startSandbox } from '../../sandbox/server.ts';
import type { RawSequence, Sandbox, SandboxAtBehaviour, SandboxFault, SandboxOperation } from '../../sandbox/types.ts';
import { createInvoiceXpressClient } from '../../shared/invoicexpress/client.ts';
import { runLocked } from '../../shared/rollover/locked-run.ts';
import type { LockedRun } from '../../shared/rollover/locked-run.ts';
import { yearNamedBy } from '../../shared/rollover/plan.ts';
import type { SerieFamily } from '../../shared/rollover/families.ts';
import { serieNames } from '../../shared/rollover/settings.ts';
import { createRunTable } from '../../shared/rollover/run-table.ts';
import type { RunStore } from '../../shared/rollover/run-store.ts';
import type { RolloverPhase } from '../../shared/rollover/schemas.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';

/**
 * Long random histories of the rollover against the sandbox over real HTTP, with the lock on
 * dynalite: random AT answers (refusing some names, the whole account, slow), faults (5xx, lost
 * answers, hangs), runs alone and several at once, and people changing the default between runs.
 * After every step the account must show no harm: the default never moved backwards nor away from
 * a person's choice, never to an unregistered serie; at most one new serie per run; no duplicate
 * serie; and every result tells the truth about what its run did.
 */

const YEAR = 2027;
const CANDIDATES = ['2027', '2027B', '2027C'];
const TEMPLATES = ['{year}', '{year}B', '{year}C'];
/** The same histories over three families (issue 19): the default one has CANDIDATES' names. */
const FAMILIES: SerieFamily[] = [
  { name: 'main', templates: TEMPLATES, default: true },
  { name: 'web', templates: ['FR{year}', 'FR{year}B'], default: false },
  { name: 'b2b', templates: ['B2B{yy}'], default: false },
];
const FAMILY_NAMES = new Map(FAMILIES.map((family) => [family.name, serieNames(family.templates, YEAR)]));
const ALL_NAMES = [...FAMILY_NAMES.values()].flat();
/** The configuration a history runs with: the one family of SERIE_TEMPLATES, or three. */
type Configuration = { templates: readonly string[] } | { families: readonly SerieFamily[] };
/** The clock the runs see: December before the year, so 2027 is a year a run may change. */
const now = () => new Date('2026-12-20T10:00:00Z');

type Step =
  | { type: 'run'; phase: RolloverPhase; together: number }
  | { type: 'at'; at: Partial<SandboxAtBehaviour> }
  | { type: 'fault'; fault: SandboxFault; operation: SandboxOperation; times: number }
  | { type: 'person'; action: 'default_other' | 'default_candidate' | 'create_ft' | 'create_later' }
  | { type: 'hide_fields'; hide: boolean };

const atArbitrary = (names: string[]): fc.Arbitrary<Partial<SandboxAtBehaviour>> =>
  fc.oneof(
    fc.constant({ onRegister: 'ok' as const }),
    fc.constant({ onRegister: 'pending' as const }),
    fc.record({
      onRegister: fc.constant('reject' as const),
      rejectSeries: fc.subarray(names, { minLength: 1 }),
      rejectShape: fc.constantFrom('list' as const, 'code' as const),
    }),
    fc.constant({ onRegister: 'account_failure' as const }),
    fc.record({ onCreate: fc.constantFrom('register' as const, 'pending' as const) }),
    fc.record({ onRegister: fc.constant('ok' as const), codesDelayMs: fc.constantFrom(0, 80, 400) }),
  );

const stepArbitrary = (names: string[]): fc.Arbitrary<Step> =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        type: fc.constant('run' as const),
        phase: fc.constantFrom<RolloverPhase>('prepare', 'activate', 'activate', 'verify'),
        together: fc.integer({ min: 1, max: 3 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('at' as const), at: atArbitrary(names) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constant('fault' as const),
        fault: fc.constantFrom<SandboxFault>({ kind: 'status', status: 503 }, { kind: 'drop_response' }, { kind: 'hang' }, { kind: 'status', status: 500 }),
        operation: fc.constantFrom<SandboxOperation>('list', 'get', 'create', 'register', 'set_current'),
        times: fc.integer({ min: 1, max: 2 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant('person' as const),
        action: fc.constantFrom('default_other' as const, 'default_candidate' as const, 'create_ft' as const, 'create_later' as const),
      }),
    },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('hide_fields' as const), hide: fc.boolean() }) },
  );

let sandbox: Sandbox;
let dynamo: LocalDynamo;
let store: RunStore;
let account = 0;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: 'k-model-based-3f1d' });
  dynamo = await startLocalDynamo();
  store = createRunTable({ tableName: dynamo.tableName, client: dynamo.client });
});
afterAll(async () => {
  await Promise.all([sandbox.close(), dynamo.close()]);
});

const isRegistered = (sequence: RawSequence): boolean => {
  const codes = Object.entries(sequence)
    .filter(([key]) => key.endsWith('_validation_code'))
    .map(([, value]) => value);
  return codes.length > 0 && !codes.includes('N/D');
};
const defaultOf = (sequences: RawSequence[]): RawSequence | undefined => sequences.find((sequence) => sequence.default_sequence === 1);
const byId = (sequences: RawSequence[]) => new Map(sequences.map((sequence) => [sequence.id, sequence]));

/** A person, through InvoiceXpress's own API (the sandbox's paths), as in the web app. */
async function person(action: Extract<Step, { type: 'person' }>['action']): Promise<void> {
  const ix = createInvoiceXpressClient({ accountName: sandbox.accountName, apiKey: sandbox.apiKey, baseUrl: sandbox.url, timeoutMs: 1_000 });
  const sequences = sandbox.sequences();
  const pick = (list: RawSequence[]): RawSequence | undefined => list[Math.floor(Math.random() * list.length)];
  const create = async (serie: string): Promise<void> => {
    if (sequences.some((sequence) => sequence.serie === serie)) return;
    const created = await ix.create({ serie, isDefault: false }).catch(() => undefined);
    if (created) await ix.setCurrent(created.id).catch(() => undefined);
  };
  switch (action) {
    case 'default_other': {
      const other = pick(sequences.filter((sequence) => !CANDIDATES.includes(sequence.serie)));
      if (other) await ix.setCurrent(other.id).catch(() => undefined);
      return;
    }
    case 'default_candidate': {
      const ours = pick(sequences.filter((sequence) => CANDIDATES.includes(sequence.serie) && isRegistered(sequence)));
      if (ours) await ix.setCurrent(ours.id).catch(() => undefined);
      return;
    }
    case 'create_ft':
      return create('FT2027');
    case 'create_later':
      return create('2028');
  }
}

async function runTogether(phase: RolloverPhase, together: number, configuration: Configuration): Promise<LockedRun[]> {
  const name = `model-${String(account)}`;
  return Promise.all(
    Array.from({ length: together }, () => {
      const client = createInvoiceXpressClient({
        accountName: sandbox.accountName,
        apiKey: sandbox.apiKey,
        baseUrl: sandbox.url,
        timeoutMs: 150,
        retry: { limit: 1, baseDelayMs: 2, maxDelayMs: 10 },
      }).withPolicy({ deadline: Deadline.in(4_000), onRateLimit: 'wait' });
      return runLocked(
        { client, store, account: name, ...configuration, now, settle: { settleMs: 120, pollMs: 40 } },
        { input: { phase, year: YEAR, dryRun: false }, trigger: 'api', caller: 'model-test', deadline: Deadline.in(4_000) },
      );
    }),
  );
}

/** The invariants of one run step: `before` and `after` are the account around it. */
function checkRuns(runs: LockedRun[], before: RawSequence[], after: RawSequence[], createsDuringStep: number, families: number): void {
  const series = after.map((sequence) => sequence.serie);
  expect(new Set(series).size, 'no duplicate serie').toBe(series.length);
  const ran = runs.filter((run) => run.type === 'ran');
  // The lock lets one run at a time; each creates at most one serie.
  expect(createsDuringStep, 'at most one new serie per family per run').toBeLessThanOrEqual(ran.length * families);
  expect(after.length - before.length).toBeLessThanOrEqual(ran.length * families);

  const previous = defaultOf(before);
  const current = defaultOf(after);
  const superseding = previous !== undefined && !CANDIDATES.includes(previous.serie) && (yearNamedBy(previous.serie) ?? 0) >= YEAR;
  if (superseding) expect(current?.id, `a default naming ${previous.serie} is left alone`).toBe(previous.id);
  // InvoiceXpress moved the default to a serie a run created, and putting it back failed: the run says so.
  const putBackFailed = ran.some((run) => run.result.failure?.action === 'set_current' && (run.result.note ?? '').includes('back failed'));
  if (current !== undefined && current.id !== previous?.id && !putBackFailed) {
    // Moved by a run (no person acted during this step): only ever to a registered configured name.
    expect(CANDIDATES).toContain(current.serie);
    expect(isRegistered(current), `the new default '${current.serie}' is registered`).toBe(true);
  }
  if (putBackFailed) expect(before.map((sequence) => sequence.id)).not.toContain(current?.id);

  for (const run of ran) {
    const { result } = run;
    if (result.outcome === 'activated') {
      expect(current?.serie).toBe(result.serie);
      expect(isRegistered(current ?? { id: 0, serie: '', default_sequence: 0 })).toBe(true);
    }
    if (result.outcome === 'ready') expect(after.find((sequence) => sequence.serie === result.serie)).toBeDefined();
    if (result.outcome === 'failed' || result.outcome === 'incomplete') expect(result.failure).toBeDefined();
    if (result.outcome === 'ready' || result.outcome === 'activated') {
      expect(result.steps.some((step) => step.status === 'done' && ['create', 'register', 'set_current'].includes(step.action))).toBe(true);
    }
  }
  checkFamilies(ran, before, after);
  if (ran.length === 1 && ran[0]?.result.outcome === 'already_done') {
    const changedIds = [...byId(after)].filter(([id, sequence]) => byId(before).get(id)?.default_sequence !== sequence.default_sequence);
    expect(changedIds, 'already_done changed nothing').toEqual([]);
    expect(after.length).toBe(before.length);
  }
}

/** Per family: at most one new serie per run, never another family's names, and what each family's result says is true. */
function checkFamilies(ran: Extract<LockedRun, { type: 'ran' }>[], before: RawSequence[], after: RawSequence[]): void {
  const existed = new Set(before.map((sequence) => sequence.serie));
  const added = after.map((sequence) => sequence.serie).filter((serie) => !existed.has(serie));
  for (const names of FAMILY_NAMES.values())
    expect(added.filter((serie) => names.includes(serie)).length, 'one new serie per family per run').toBeLessThanOrEqual(ran.length);
  expect(
    added.every((serie) => ALL_NAMES.includes(serie)),
    `only configured names are created: ${added.join(', ')}`,
  ).toBe(true);
  for (const { result } of ran) {
    for (const family of result.families ?? []) {
      const names = FAMILY_NAMES.get(family.family) ?? CANDIDATES;
      const own = result.steps.filter((step) => step.family === family.family && step.serie !== undefined && ['create', 'register'].includes(step.action));
      expect(
        own.every((step) => names.includes(step.serie ?? '')),
        `${family.family} acts on its own names only`,
      ).toBe(true);
      if (family.outcome === 'ready')
        expect(isRegistered(after.find((sequence) => sequence.serie === family.serie) ?? { id: 0, serie: '', default_sequence: 0 })).toBe(true);
    }
  }
}

/** Sets the account up for a history's start. */
function start(kind: string): Record<string, boolean> {
  if (kind === 'empty') sandbox.seedAccount('empty');
  if (kind === 'later') sandbox.seedAccount([{ serie: '2026' }, { serie: '2028', default: true }]);
  if (kind === 'person') sandbox.seedAccount([{ serie: '2026' }, { serie: 'FT2027', default: true }, { serie: '2027', documents: 'pending' }]);
  if (kind === 'pending')
    sandbox.seedAccount([
      { serie: '2026', default: true },
      { serie: '2027', documents: 'none' },
      { serie: '2027B', documents: 'partial' },
    ]);
  if (kind === 'refusing') sandbox.setAt({ onRegister: 'reject', rejectSeries: ['2027', '2027B', 'FR2027'] });
  if (kind === 'families')
    sandbox.seedAccount([{ serie: '2026', default: true }, { serie: 'FR2026' }, { serie: 'B2B26' }, { serie: 'FR2027', documents: 'pending' }]);
  // InvoiceXpress makes every new serie the default (its web app does; its API may).
  return kind === 'createDefault' ? { createBecomesDefault: true } : {};
}

/** One history: its steps in turn, every run step checked. */
async function history(steps: Step[], kind: string, configuration: Configuration): Promise<void> {
  account++;
  sandbox.reset();
  const variants = start(kind);
  sandbox.setVariants(variants);
  for (const step of steps) {
    switch (step.type) {
      case 'at':
        sandbox.setAt(step.at);
        break;
      case 'fault':
        sandbox.addFault({ fault: step.fault, operations: [step.operation], times: step.times });
        break;
      case 'hide_fields':
        sandbox.setVariants(step.hide ? { ...variants, currentFields: 'not_in_list' } : variants);
        break;
      case 'person':
        await person(step.action);
        break;
      case 'run': {
        const before = sandbox.sequences();
        const from = sandbox.requests.length;
        const runs = await runTogether(step.phase, step.together, configuration);
        const creates = sandbox.requests.slice(from).filter((request) => request.operation === 'create').length;
        const families = 'families' in configuration ? configuration.families.length : 1;
        checkRuns(runs, before, sandbox.sequences(), creates, families);
        if (step.phase === 'verify') expect(sandbox.requests.slice(from).every((request) => request.method === 'GET')).toBe(true);
        break;
      }
    }
  }
}

const PUT_BACK_FAILED_THEN_ANOTHER_FAMILY = [
  { type: 'fault', fault: { kind: 'status', status: 503 }, operation: 'set_current', times: 2 },
  { type: 'run', phase: 'prepare', together: 1 },
  { type: 'fault', fault: { kind: 'status', status: 503 }, operation: 'list', times: 1 },
] as Step[];

const STARTS = ['docs', 'empty', 'later', 'person', 'pending', 'refusing', 'createDefault'] as const;

describe('rollover histories against the sandbox over three families (model-based)', () => {
  it('no harm in any history, and no family touches another', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary(ALL_NAMES), { minLength: 2, maxLength: 6 }), fc.constantFrom(...STARTS, 'families'), (steps, kind) =>
        history(steps, kind, { families: FAMILIES }),
      ),
      {
        numRuns: 90,
        // Found by this property: a family's put-back failed, the next family's create moved the
        // default again and its put-back hid the failure; a failed set_current now stops every family.
        examples: [[PUT_BACK_FAILED_THEN_ANOTHER_FAMILY, 'createDefault']],
      },
    );
  }, 120_000);
});

describe('rollover histories against the sandbox (model-based)', () => {
  it('no harm in any history: default, names, duplicates, truthful results', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary(CANDIDATES), { minLength: 2, maxLength: 7 }), fc.constantFrom(...STARTS), (steps, kind) =>
        history(steps, kind, { templates: TEMPLATES }),
      ),
      { numRuns: 220 },
    );
  }, 120_000);
});
