import { isInvoiceXpressError, TRANSIENT_KINDS } from '../invoicexpress/errors.ts';
import { redact } from '../invoicexpress/redact.ts';
import type { InvoiceXpressClient } from '../invoicexpress/types.ts';
import type { Deadline } from '../runtime/deadline.ts';
import { registrationDetail, registrationOf } from '../sequences/sequence.ts';
import type { Sequence } from '../sequences/sequence.ts';
import { DefaultNotRestoredError, RegistrationInProgressError } from '../sequences/errors.ts';
import { createSerieKeepingDefault } from '../sequences/operations.ts';
import { registerSafely } from '../sequences/registration-lease.ts';
import type { RegistrationLease } from '../sequences/registration-lease.ts';
import type { Registration } from '../sequences/registration.ts';
import { serieNames } from './settings.ts';
import { runOrder, singleFamily } from './families.ts';
import type { SerieFamily } from './families.ts';
import { combineFamilies, emptyCalls, familyPhase, stopsEveryFamily } from './family-results.ts';
import { simulate } from './dry-run.ts';
import { decide, findSerie, markDefault, upsert } from './plan.ts';
import type { Decision, PlanState } from './plan.ts';
import type { RolloverPhase } from './schemas.ts';
import type { RolloverAction, RolloverCalls, RolloverFailure, RolloverFamilyResult, RolloverOutcome, RolloverResult, RolloverStep } from './result.ts';

export interface RunRolloverOptions {
  client: InvoiceXpressClient;
  phase: RolloverPhase;
  year: number;
  dryRun: boolean;
  /** Serie name templates in order of preference (see settings.ts): the one family "main", when `families` is absent. */
  templates?: readonly string[] | undefined;
  /** The families of series (families.ts); replaces `templates`. */
  families?: readonly SerieFamily[] | undefined;
  /** The run stops between steps when less than a step's time is left (outcome incomplete). */
  deadline: Deadline;
  now: () => Date;
  runId?: string | undefined;
  /** How long a register's unclear answer is settled by reading the state (registration.ts). */
  settle?: { settleMs?: number; pollMs?: number } | undefined;
  /** The registration lease shared with the register routes (absent without a run table). */
  lease?: RegistrationLease | undefined;
  /** Called with each step as it is recorded (CLI progress). Must not throw; if it does, it is ignored. */
  onStep?: ((step: RolloverStep) => void) | undefined;
  /**
   * Scrubs the text of an unexpected error (not an InvoiceXpressError, whose words are already
   * clean) before it goes into a step, the result, the record and the webhooks. Default: URL
   * queries and api_key parameters removed; the service also passes the key itself.
   */
  redact?: ((text: string) => string) | undefined;
}

/** Without a key to look for: no URL query strings, no api_key parameters. */
const redactUrls = (text: string): string => redact(text, '');

/** A step is not started with less than this left before the deadline. */
const STEP_RESERVE_MS = 2_000;
/** Decisions one run may take; far more than any run needs (guards against a loop). */
const MAX_DECISIONS = 30;
/** InvoiceXpress failures that a later run may well not meet: at the deadline they mean "incomplete". */
const TRANSIENT: ReadonlySet<string> = TRANSIENT_KINDS;

/** Ends the run: `failed`, or `incomplete` when it stopped for time. */
class RunStopped extends Error {
  readonly outcome: 'failed' | 'incomplete';
  readonly failure: RolloverFailure;
  constructor(outcome: 'failed' | 'incomplete', failure: RolloverFailure) {
    super(failure.message);
    this.outcome = outcome;
    this.failure = failure;
  }
}

/** What to tell a person when AT would not register a serie. */
const REGISTRATION_FAILURES: Record<Extract<Registration, { status: 'not_registered' }>['why'], { kind: string; todo: string }> = {
  account: {
    kind: 'at_account',
    todo: 'check the AT credentials in InvoiceXpress (an AT sub-user with the series webservice permission; trial accounts cannot register); no other serie name was tried',
  },
  unknown: { kind: 'at_unknown', todo: 'look at the serie in InvoiceXpress; no other serie name was tried' },
  in_progress: { kind: 'at_in_progress', todo: 'AT is still processing: the next run reads it again' },
  unclear: { kind: 'at_unclear', todo: 'the next run reads it again (register is not sent twice in a run)' },
};

function stateOf(sequence: Sequence): string {
  const registration = { registered: 'registered', pending: 'pending AT registration', unknown: 'AT status unknown' }[registrationOf(sequence)];
  return `id ${String(sequence.id)}, ${registration}${sequence.isDefault ? ', default' : ''}`;
}

function countingClient(client: InvoiceXpressClient, calls: RolloverCalls): InvoiceXpressClient {
  return {
    list: () => (calls.list++, client.list()),
    get: (id) => (calls.get++, client.get(id)),
    create: (input) => (calls.create++, client.create(input)),
    register: (id) => (calls.register++, client.register(id)),
    setCurrent: (id) => (calls.set_current++, client.setCurrent(id)),
  };
}

/** What the families of one run share: its steps, in order, and the one list call's count. */
class Journal {
  readonly steps: RolloverStep[] = [];
  readonly calls: RolloverCalls = emptyCalls();
  readonly onStep: RunRolloverOptions['onStep'];
  constructor(onStep: RunRolloverOptions['onStep']) {
    this.onStep = onStep;
  }

  record(step: RolloverStep): void {
    this.steps.push(step);
    try {
      this.onStep?.(step);
    } catch {
      // Progress reporting must never change the run.
    }
  }
}

/**
 * One family's part of a run: its record and the state its decisions are taken from. Its state changes only through the
 * named transitions below; a step that cannot go on throws a RunStopped (the one way a run stops).
 */
class Run {
  readonly client: InvoiceXpressClient;
  readonly options: RunRolloverOptions;
  readonly family: SerieFamily;
  /** The phase this family runs: activate is a check (verify) for a family other than the default. */
  readonly phase: RolloverPhase;
  readonly #journal: Journal;
  readonly #calls: RolloverCalls = emptyCalls();
  #state: PlanState;
  /** True once this run itself changed the account (created, registered, switched the default). */
  #changed = false;
  /** The sequence the run is working on or ended on, as last known. */
  #sequence: Sequence | null = null;
  #serie: string;
  #note: string | undefined;
  /** The default this run switched away from (for the serie.activated event). */
  #previousDefault: { id: number; serie: string } | undefined;

  constructor(options: RunRolloverOptions, family: SerieFamily, journal: Journal) {
    this.options = options;
    this.family = family;
    this.phase = familyPhase(options.phase, family.default);
    this.#journal = journal;
    this.client = countingClient(options.client, this.#calls);
    const candidates = serieNames(family.templates, options.year);
    this.#serie = candidates[0] ?? '';
    const role = family.default ? 'default' : 'other';
    this.#state = { phase: this.phase, year: options.year, candidates, sequences: [], fresh: new Set(), refused: new Map(), created: 0, role };
  }

  get state(): PlanState {
    return this.#state;
  }

  get changed(): boolean {
    return this.#changed;
  }

  record(step: RolloverStep): void {
    this.#journal.record({ ...step, family: this.family.name });
  }

  /** Records the failed step; the stop to throw: incomplete when time ran out, failed otherwise. */
  failed(action: RolloverAction, error: unknown, serie?: string): RunStopped {
    if (error instanceof RunStopped) return error;
    const { kind, message, outcome } = stopOf(error, this.options);
    this.record({ action, status: 'failed', ...(serie === undefined ? {} : { serie }), detail: `${kind}: ${message}` });
    return new RunStopped(outcome, { action, kind, message });
  }

  /** The account's series as the list gives them (nothing read with get yet). */
  listed(sequences: readonly Sequence[]): void {
    this.#state = { ...this.#state, sequences, fresh: new Set() };
  }

  /** Keeps `sequence` as the run's view of it; `fresh` when it was read with get just now. */
  learned(sequence: Sequence, fresh: boolean): void {
    const freshIds = new Set(this.#state.fresh);
    if (fresh) freshIds.add(sequence.id);
    else freshIds.delete(sequence.id);
    this.#state = { ...this.#state, sequences: upsert(this.#state.sequences, sequence), fresh: freshIds };
    this.#sequence = sequence;
    this.#serie = sequence.serie;
  }

  /** The run is about to create `serie`: the result names it even if the create fails. */
  creating(serie: string): void {
    this.#serie = serie;
  }

  created(sequence: Sequence, fresh: boolean): void {
    this.learned(sequence, fresh);
    this.#state = { ...this.#state, created: this.#state.created + 1 };
    this.#changed = true;
  }

  /** InvoiceXpress made `created` the default; `previous` was made the default again. The run goes on with `created`. */
  defaultRestored(created: Sequence, previous: Sequence): void {
    this.#state = { ...this.#state, sequences: markDefault(upsert(this.#state.sequences, created), previous.id) };
    this.#serie = created.serie;
  }

  registered(sent: boolean): void {
    if (sent) this.#changed = true;
  }

  refused(name: string, reason: string): void {
    this.#state = { ...this.#state, refused: new Map([...this.#state.refused, [name, reason]]) };
  }

  switchedDefault(sequence: Sequence): void {
    const before = this.#state.sequences.find((known) => known.isDefault && known.id !== sequence.id);
    if (before !== undefined) this.#previousDefault = { id: before.id, serie: before.serie };
    this.#state = { ...this.#state, sequences: markDefault(this.#state.sequences, sequence.id), fresh: new Set() };
    this.#sequence = { ...sequence, isDefault: true };
    this.#serie = sequence.serie;
    this.#changed = true;
  }

  /** The serie the run ends on (`sequence` null when a dry run only planned it); `note` says why, when it is not ours. */
  settledOn(serie: string, sequence: Sequence | null, note?: string): void {
    this.#serie = serie;
    this.#sequence = sequence;
    if (note !== undefined) this.noted(note);
  }

  /** The sequence a stop of the plan names (the serie stays the one the run worked on). */
  stoppedAt(sequence: Sequence): void {
    this.#sequence = sequence;
  }

  noted(note: string): void {
    this.#note = note;
  }

  result(outcome: RolloverOutcome, failure?: RolloverFailure): RolloverFamilyResult {
    const fallback = this.#fallback();
    return {
      family: this.family.name,
      default: this.family.default,
      serie: this.#serie,
      outcome,
      sequence: this.#sequence,
      ...(this.#note === undefined ? {} : { note: this.#note }),
      ...(fallback === undefined ? {} : { fallback }),
      ...(failure === undefined ? {} : { failure: { ...failure, family: this.family.name } }),
      ...(this.#previousDefault === undefined ? {} : { previousDefault: this.#previousDefault }),
      calls: this.#calls,
    };
  }

  #fallback(): RolloverResult['fallback'] {
    const { candidates, refused, sequences } = this.#state;
    const primary = candidates[0];
    const index = candidates.indexOf(this.#serie);
    if (primary === undefined || index <= 0) return undefined;
    const reasons = candidates.slice(0, index).map((name) => {
      const why = refused.get(name);
      if (why !== undefined) return `'${name}': ${why}`;
      return findSerie(sequences, name) === undefined ? `'${name}': does not exist` : `'${name}': exists but is not registered with AT`;
    });
    return { from: primary, reason: reasons.join('; ') };
  }
}

// ---- The steps ---------------------------------------------------------------------------------

async function find(run: Run): Promise<void> {
  const names = run.state.candidates.map((name) => `'${name}'`).join(', ');
  try {
    const sequences = await run.client.list();
    run.listed(sequences);
    run.record({ action: 'find', status: 'done', detail: `looked for ${names}: ${String(sequences.length)} sequences read` });
  } catch (error) {
    throw run.failed('find', error);
  }
}

/** Reads the sequence with get (the run learns it, fresh); a failure stops the run as `action`. */
async function read(run: Run, sequence: Sequence, action: 'read' | 'verify'): Promise<Sequence> {
  try {
    const current = await run.client.get(sequence.id);
    run.learned(current, true);
    return current;
  } catch (error) {
    throw run.failed(action, error, sequence.serie);
  }
}

async function readStep(run: Run, sequence: Sequence, why: string): Promise<void> {
  const current = await read(run, sequence, 'read');
  run.record({ action: 'read', status: 'done', serie: current.serie, detail: `${why}: ${stateOf(current)}` });
}

async function create(run: Run, serie: string): Promise<void> {
  run.creating(serie);
  const previousDefault = run.state.sequences.find((sequence) => sequence.isDefault);
  try {
    const { sequence, read: fresh, restoredDefault } = await createSerieKeepingDefault(run.client, serie, previousDefault);
    createdSerie(run, sequence, fresh);
    if (restoredDefault !== undefined) defaultPutBack(run, sequence, restoredDefault);
  } catch (error) {
    if (error instanceof DefaultNotRestoredError) {
      createdSerie(run, error.created, true);
      run.noted(movedDefaultNote(error.created, error.previousDefault, false));
      throw run.failed('set_current', error.cause, error.previousDefault.serie);
    }
    if (!isInvoiceXpressError(error) || error.kind !== 'serie_exists') throw run.failed('create', error, serie);
    // Created by someone else between our list and our create: read the account again, use theirs.
    await find(run);
    const theirs = findSerie(run.state.sequences, serie);
    if (theirs === undefined) throw run.failed('create', error, serie);
    run.learned(theirs, false);
    run.record({ action: 'create', status: 'skipped', serie, detail: `'${serie}' already exists (created meanwhile): ${stateOf(theirs)}` });
  }
}

function createdSerie(run: Run, created: Sequence, fresh: boolean): void {
  run.created(created, fresh);
  run.record({ action: 'create', status: 'done', serie: created.serie, detail: `created '${created.serie}' with default_sequence 0 (${stateOf(created)})` });
}

function movedDefaultNote(created: Sequence, previous: Sequence, restored: boolean): string {
  const what = `InvoiceXpress made the new serie '${created.serie}' the default when it was created (what its API does here is unknown: docs/invoicexpress.md)`;
  return restored
    ? `${what}; '${previous.serie}', the default before, was made the default again in this run`
    : `${what}; putting '${previous.serie}' back failed: make it the default again by hand`;
}

/** InvoiceXpress moved the default to the new serie; createSerieKeepingDefault put the previous one back. */
function defaultPutBack(run: Run, created: Sequence, previous: Sequence): void {
  const note = movedDefaultNote(created, previous, true);
  run.defaultRestored(created, previous);
  run.noted(note);
  run.record({ action: 'set_current', status: 'done', serie: previous.serie, detail: `'${previous.serie}' is the default again: ${note}` });
}

async function register(run: Run, sequence: Sequence): Promise<void> {
  const { serie } = sequence;
  let registration: Registration;
  try {
    registration = await registerSafely(run.client, sequence, { deadline: run.options.deadline, ...run.options.settle }, run.options.lease);
  } catch (error) {
    if (error instanceof RegistrationInProgressError) {
      // A register request holds the sequence's lease: its outcome is AT's; the next run reads it.
      run.record({ action: 'register', status: 'failed', serie, detail: `registration_in_progress: ${error.message}` });
      throw new RunStopped('incomplete', { action: 'register', kind: 'registration_in_progress', message: error.message });
    }
    throw run.failed('register', error, serie);
  }
  run.learned(registration.sequence, true);
  switch (registration.status) {
    case 'registered':
      run.registered(registration.sent);
      run.record({ action: 'register', status: registration.sent ? 'done' : 'skipped', serie, detail: `'${serie}': ${registration.detail}` });
      return;
    case 'name_refused':
      run.refused(serie, registration.reason);
      run.record({ action: 'register', status: 'failed', serie, detail: `${registration.reason}; '${serie}' will not be made default` });
      return;
    case 'not_registered': {
      const { kind, todo } = REGISTRATION_FAILURES[registration.why];
      const message = `'${serie}' is not registered with AT: ${registration.reason}; ${todo}`;
      run.record({ action: 'register', status: 'failed', serie, detail: `${kind}: ${message}` });
      const outOfTime = registration.why === 'unclear' && run.options.deadline.expired(STEP_RESERVE_MS);
      throw new RunStopped(outOfTime ? 'incomplete' : 'failed', { action: 'register', kind, message });
    }
  }
}

async function setCurrent(run: Run, sequence: Sequence): Promise<void> {
  try {
    await run.client.setCurrent(sequence.id);
  } catch (error) {
    throw run.failed('set_current', error, sequence.serie);
  }
  run.switchedDefault(sequence);
  run.record({ action: 'set_current', status: 'done', serie: sequence.serie, detail: `'${sequence.serie}' is now the default sequence` });
}

/** The end of a run that found its serie: read it back when this run changed it (or for verify). */
async function conclude(run: Run, sequence: Sequence): Promise<RolloverFamilyResult> {
  const { phase } = run;
  run.settledOn(sequence.serie, sequence);
  if (!run.changed && phase !== 'verify') {
    run.record({ action: 'verify', status: 'skipped', serie: sequence.serie, detail: `nothing changed: '${sequence.serie}' is ${stateOf(sequence)}` });
    return run.result('already_done');
  }
  const readBack = run.state.fresh.has(sequence.id) ? sequence : await read(run, sequence, 'verify');
  const problems: string[] = [];
  if (!readBack.registered) problems.push(`not registered with AT (${registrationDetail(readBack)})`);
  if (phase !== 'prepare' && run.family.default && !readBack.isDefault) problems.push('not the default sequence');
  if (problems.length > 0) {
    const kind = phase === 'verify' ? 'not_ready' : 'verify_mismatch';
    const message = `'${sequence.serie}' read back ${problems.join('; ')}`;
    run.record({ action: 'verify', status: 'failed', serie: sequence.serie, detail: `${kind}: ${message}` });
    throw new RunStopped('failed', { action: 'verify', kind, message });
  }
  run.record({ action: 'verify', status: 'done', serie: sequence.serie, detail: `'${sequence.serie}' read back: ${stateOf(readBack)}` });
  return run.result(phase === 'prepare' ? 'ready' : phase === 'activate' ? 'activated' : 'already_done');
}

/** A default that supersedes the year is left alone; verify still checks it can issue documents. */
async function leaveAlone(run: Run, decision: Extract<Decision, { type: 'leave_alone' }>): Promise<RolloverFamilyResult> {
  run.settledOn(decision.sequence.serie, decision.sequence, decision.note);
  if (run.phase !== 'verify') {
    run.record({ action: 'verify', status: 'skipped', serie: decision.sequence.serie, detail: `no change: ${decision.note}` });
    return run.result('already_done');
  }
  // verify reads the default back: a person's choice still has to be able to issue documents.
  return conclude(run, decision.sequence);
}

/** The plan stops the run: records why and throws the stop. */
function stop(run: Run, decision: Extract<Decision, { type: 'stop' }>): never {
  const action = decision.kind === 'not_ready' ? 'verify' : decision.kind === 'name_limit' ? 'create' : 'register';
  if (decision.sequence !== undefined) run.stoppedAt(decision.sequence);
  run.record({ action, status: 'failed', ...(decision.sequence ? { serie: decision.sequence.serie } : {}), detail: `${decision.kind}: ${decision.message}` });
  throw new RunStopped('failed', { action, kind: decision.kind, message: decision.message });
}

function planned(run: Run): RolloverFamilyResult {
  const { steps, end } = simulate(run.state);
  for (const step of steps) run.record(step);
  if (end.type === 'stop') stop(run, end);
  // The account as it is, not as the simulation imagined it.
  run.settledOn(end.sequence.serie, findSerie(run.state.sequences, end.sequence.serie) ?? null, end.type === 'leave_alone' ? end.note : undefined);
  if (steps.length === 0 || run.phase === 'verify') return run.result('already_done');
  return run.result(run.phase === 'prepare' ? 'ready' : 'activated');
}

/** An unexpected error's name and message, scrubbed. */
function unexpectedText(error: unknown, scrub: ((text: string) => string) | undefined): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
  return (scrub ?? redactUrls)(text);
}

/** How an InvoiceXpress failure (or an unexpected error) stops a run: its kind, words, and whether time ran out. */
function stopOf(error: unknown, options: RunRolloverOptions): { kind: string; message: string; outcome: 'failed' | 'incomplete' } {
  const kind = isInvoiceXpressError(error) ? error.kind : 'internal';
  const message = isInvoiceXpressError(error) ? error.message : unexpectedText(error, options.redact);
  return { kind, message, outcome: TRANSIENT.has(kind) && options.deadline.expired(STEP_RESERVE_MS) ? 'incomplete' : 'failed' };
}

function lookedFor(runs: readonly Run[]): string {
  const namesOf = (run: Run): string => run.state.candidates.map((name) => `'${name}'`).join(', ');
  return runs.length === 1 ? namesOf(runs[0] as Run) : runs.map((run) => `${namesOf(run)} (${run.family.name})`).join('; ');
}

/** The run's one list, shared by every family (counted in the run's calls, not a family's). */
async function listAll(options: RunRolloverOptions, journal: Journal, runs: readonly Run[]): Promise<readonly Sequence[] | RunStopped> {
  try {
    const sequences = await countingClient(options.client, journal.calls).list();
    journal.record({ action: 'find', status: 'done', detail: `looked for ${lookedFor(runs)}: ${String(sequences.length)} sequences read` });
    return sequences;
  } catch (error) {
    const { kind, message, outcome } = stopOf(error, options);
    journal.record({ action: 'find', status: 'failed', detail: `${kind}: ${message}` });
    return new RunStopped(outcome, { action: 'find', kind, message });
  }
}

/** One family's part, after the list: ask the plan what to do after every step until it is done. */
async function runFamily(run: Run): Promise<RolloverFamilyResult> {
  const { options } = run;
  try {
    if (options.dryRun) return planned(run);
    for (let count = 0; count < MAX_DECISIONS; count++) {
      const decision = decide(run.state);
      if (decision.type === 'done') return await conclude(run, decision.sequence);
      if (decision.type === 'leave_alone') return await leaveAlone(run, decision);
      if (decision.type === 'stop') stop(run, decision);
      if (options.deadline.expired(STEP_RESERVE_MS)) {
        const message = `the run's deadline came before ${decision.type}; the next run resumes from here`;
        throw new RunStopped('incomplete', { action: decision.type, kind: 'deadline', message });
      }
      if (decision.type === 'read') await readStep(run, decision.sequence, decision.why);
      else if (decision.type === 'create') await create(run, decision.serie);
      else if (decision.type === 'register') await register(run, decision.sequence);
      else await setCurrent(run, decision.sequence);
    }
    throw new RunStopped('failed', { action: 'find', kind: 'internal', message: 'the rollover did not settle (internal guard)' });
  } catch (error) {
    if (error instanceof RunStopped) return run.result(error.outcome, error.failure);
    return run.result('failed', { action: 'find', kind: 'internal', message: unexpectedText(error, options.redact) });
  }
}

/** Every family in turn on the account as the previous one left it; an account-wide stop ends them all. */
async function runFamilies(runs: readonly Run[], listed: readonly Sequence[]): Promise<RolloverFamilyResult[]> {
  const results: RolloverFamilyResult[] = [];
  let sequences = listed;
  let stopped: RolloverFamilyResult | undefined;
  for (const run of runs) {
    if (stopped?.failure !== undefined) {
      const { action, kind } = stopped.failure;
      const message = `not run: the run stopped at family '${stopped.family}' (${kind}); the next run does this family`;
      results.push(run.result(stopped.outcome, { action, kind, message }));
      continue;
    }
    run.listed(sequences);
    const result = await runFamily(run);
    sequences = run.state.sequences;
    results.push(result);
    if (stopsEveryFamily(result)) stopped = result;
  }
  return results;
}

/**
 * One rollover run: find the account's series (one list), then each family of series in turn
 * (the default family first), each asking the plan what to do after every step until it is done.
 * Never throws for InvoiceXpress failures: a failed or incomplete run returns the step it stopped
 * at, and every state it can leave behind is picked up by the next run.
 */
export async function runRollover(options: RunRolloverOptions): Promise<RolloverResult> {
  const startedAt = options.now().toISOString();
  const journal = new Journal(options.onStep);
  // No family at all is the one family without templates: refused below like an empty SERIE_TEMPLATES.
  const families = options.families !== undefined && options.families.length > 0 ? options.families : singleFamily(options.templates ?? []);
  const runs = runOrder(families).map((family) => new Run(options, family, journal));
  let results: RolloverFamilyResult[];
  const unconfigured = runs.some((run) => run.state.candidates.length === 0);
  const listed = unconfigured
    ? new RunStopped('failed', { action: 'find', kind: 'internal', message: 'no serie name templates configured' })
    : await listAll(options, journal, runs);
  if (listed instanceof RunStopped) results = runs.map((run) => run.result(listed.outcome, listed.failure));
  else results = await runFamilies(runs, listed);
  const frame = {
    runId: options.runId,
    year: options.year,
    phase: options.phase,
    dryRun: options.dryRun,
    startedAt,
    steps: journal.steps,
    calls: journal.calls,
  };
  const result = combineFamilies({ ...frame, finishedAt: options.now().toISOString() }, results);
  // A run that did not get past its list failed as a whole, not in a family.
  return listed instanceof RunStopped ? { ...result, failure: listed.failure } : result;
}
