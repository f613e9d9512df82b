import { isInvoiceXpressError, mayHaveBeenApplied } from '../invoicexpress/errors.ts';
import type { InvoiceXpressError } from '../invoicexpress/errors.ts';
import type { InvoiceXpressClient } from '../invoicexpress/types.ts';
import type { Sequence } from '../sequence.ts';
import { serieNames } from './config.ts';
import { chooseRegistered, findSerie, markDefault, nextAction, planSteps, upsert } from './plan.ts';
import type { RolloverInput } from './schemas.ts';
import type { RolloverAction, RolloverCalls, RolloverFailure, RolloverReadiness, RolloverResult, RolloverStep } from './result.ts';
import { DEFAULT_TIME_ZONE, targetYear } from './time.ts';

export interface RunRolloverOptions {
  client: InvoiceXpressClient;
  input: RolloverInput;
  /** The Scheduler's scheduled time (ISO): decides the default year over the clock. */
  scheduledTime?: string | undefined;
  now: () => Date;
  /** Serie name templates in order of preference (see config.ts). */
  templates: readonly string[];
  timeZone?: string | undefined;
  /** Called with each step as it is recorded (CLI progress, logs). Must not throw; if it does, it is ignored. */
  onStep?: ((step: RolloverStep) => void) | undefined;
}

/** More iterations than any legitimate run needs (3 names × create/register + set_current); guards against loops. */
const MAX_ITERATIONS = 50;

/** Internal: unwinds the run to `finish('failed')` once the failed step is recorded. */
class RunFailed extends Error {
  readonly failure: RolloverFailure;
  constructor(failure: RolloverFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

function describeError(error: unknown): { kind: string; message: string } {
  if (isInvoiceXpressError(error)) return { kind: error.kind, message: error.message };
  // Not from the client (a bug): its name and message only, no stack.
  if (error instanceof Error) return { kind: 'internal', message: `${error.name}: ${error.message}` };
  return { kind: 'internal', message: 'unknown error' };
}

function pendingTypes(sequence: Sequence): string[] {
  return Object.entries(sequence.documents)
    .filter(([, document]) => document.atcud === 'pending')
    .map(([type]) => type);
}

function sequenceState(sequence: Sequence): string {
  return `id ${String(sequence.id)}, ${sequence.registered ? 'registered' : 'pending AT registration'}${sequence.isDefault ? ', default' : ''}`;
}

/** Counts client calls per operation (the result's `calls`). */
function countingClient(client: InvoiceXpressClient, calls: RolloverCalls): InvoiceXpressClient {
  return {
    list: () => (calls.list++, client.list()),
    get: (id) => (calls.get++, client.get(id)),
    create: (input) => (calls.create++, client.create(input)),
    register: (id) => (calls.register++, client.register(id)),
    setCurrent: (id) => (calls.set_current++, client.setCurrent(id)),
  };
}

/**
 * One rollover run (contract section 2). Never throws for InvoiceXpress failures: a failed run
 * returns outcome 'failed' with the failed step, and every state it can leave behind
 * (created-not-registered, registered-not-default) is picked up by the next run.
 *
 * Calls: a run that finds everything done makes exactly one list call. Every register is followed
 * by a `get` (only the state shows whether AT gave codes, so a serie is never made default on the
 * strength of a 200); a run that changed something ends with one `get` read-back of the chosen
 * sequence (verify), unless the last read-back already followed the last change. A create is never
 * repeated blindly: a lost answer or "already taken" is resolved by listing again.
 */
export async function runRollover(options: RunRolloverOptions): Promise<RolloverResult> {
  const { input } = options;
  const startedAt = options.now().toISOString();
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  const calls: RolloverCalls = { list: 0, get: 0, create: 0, register: 0, set_current: 0 };
  const client = countingClient(options.client, calls);
  const steps: RolloverStep[] = [];
  const done = new Map<string, Set<RolloverAction>>();

  const record = (step: RolloverStep): void => {
    steps.push(step);
    if (step.serie !== undefined) {
      const actions = done.get(step.serie) ?? new Set<RolloverAction>();
      actions.add(step.action);
      done.set(step.serie, actions);
    }
    try {
      options.onStep?.(step);
    } catch {
      // Progress reporting must never change the run.
    }
  };
  const recorded = (serie: string, action: RolloverAction): boolean => done.get(serie)?.has(action) ?? false;

  const year = input.year ?? targetYear({ phase: input.phase, scheduledTime: options.scheduledTime, now: options.now, timeZone });
  const candidates = serieNames(options.templates, year);
  const primary = candidates[0] ?? '';

  let serie = primary;
  let sequence: Sequence | null = null;
  let fallback: RolloverResult['fallback'];
  const refused = new Map<string, string>();

  const finish = (outcome: RolloverResult['outcome'], failure?: RolloverFailure): RolloverResult => ({
    year,
    serie,
    phase: input.phase,
    dryRun: input.dryRun,
    outcome,
    steps,
    sequence,
    startedAt,
    finishedAt: options.now().toISOString(),
    ...(fallback ? { fallback } : {}),
    ...(failure ? { failure } : {}),
    calls,
  });

  const fail = (action: RolloverAction, error: unknown, stepSerie?: string): never => {
    const { kind, message } = describeError(error);
    record({ action, status: 'failed', ...(stepSerie === undefined ? {} : { serie: stepSerie }), detail: `${kind}: ${message}` });
    throw new RunFailed({ action, kind, message });
  };

  const listAll = async (why: string): Promise<Sequence[]> => {
    try {
      const sequences = await client.list();
      record({ action: 'find', status: 'done', detail: `${why}: ${String(sequences.length)} sequences read` });
      return sequences;
    } catch (error) {
      return fail('find', error);
    }
  };

  const describeFallback = (chosen: string, sequences: readonly Sequence[]): RolloverResult['fallback'] => {
    if (chosen === primary) return undefined;
    const passedOver = candidates.slice(0, Math.max(0, candidates.indexOf(chosen)));
    const reasons = passedOver.map((name) => {
      const why = refused.get(name);
      if (why !== undefined) return `'${name}': AT refused the registration: ${why}`;
      const existing = findSerie(sequences, name);
      if (!existing) return `'${name}': does not exist`;
      return `'${name}': exists but is not registered with AT`;
    });
    return { from: primary, reason: reasons.join('; ') };
  };

  try {
    if (candidates.length === 0) throw new RunFailed({ action: 'find', kind: 'internal', message: 'no serie name templates configured' });
    let sequences = await listAll(`looked for ${candidates.map((name) => `'${name}'`).join(', ')}`);

    if (input.dryRun) {
      const plan = planSteps(sequences, candidates, input.phase);
      serie = plan.serie;
      sequence = plan.sequence;
      fallback = describeFallback(serie, sequences);
      for (const step of plan.steps) record(step);
      if (plan.steps.length === 0) return finish('already_done');
      return finish(input.phase === 'prepare' ? 'ready' : 'activated');
    }

    let changed = false;
    /** The last read-back, when nothing changed after it (it then serves as the verify read). */
    let lastRead: Sequence | undefined;
    const recreated = new Set<string>();
    let chosen: Sequence | undefined;

    for (let iteration = 0; chosen === undefined; iteration++) {
      if (iteration >= MAX_ITERATIONS) fail('find', new Error('the rollover did not settle (internal loop guard)'));
      const action = nextAction(sequences, candidates, input.phase, new Set(refused.keys()));

      if (action.type === 'exhausted') {
        serie = primary;
        const reason = [...refused].map(([name, why]) => `'${name}': ${why}`).join('; ');
        throw new RunFailed({
          action: 'register',
          kind: 'at_refused',
          message: `AT refused every configured serie name (${reason}); none was made default`,
        });
      }

      if (action.type === 'create') {
        const name = action.serie;
        serie = name;
        try {
          const created = await client.create({ serie: name, isDefault: false });
          sequences = upsert(sequences, created);
          sequence = created;
          changed = true;
          lastRead = undefined;
          record({ action: 'create', status: 'done', serie: name, detail: `created '${name}' with default_sequence 0 (${sequenceState(created)})` });
        } catch (error) {
          if (!isInvoiceXpressError(error)) return fail('create', error, name);
          if (error.kind === 'serie_exists') {
            // Another run (or a person) created it between our list and our create: use theirs.
            sequences = await listAll(`'${name}' was created concurrently; read again`);
            const found = findSerie(sequences, name);
            if (!found) return fail('create', error, name);
            sequence = found;
            record({ action: 'create', status: 'skipped', serie: name, detail: `'${name}' already exists (created by another run): ${sequenceState(found)}` });
          } else if (mayHaveBeenApplied(error)) {
            // The create may have been applied: read the state rather than repeating it blindly.
            record({ action: 'create', status: 'failed', serie: name, detail: `${error.kind}: ${error.message}` });
            sequences = await listAll(`the answer to create '${name}' was lost; read again`);
            const found = findSerie(sequences, name);
            if (found) {
              sequence = found;
              changed = true;
              lastRead = undefined;
              record({ action: 'create', status: 'done', serie: name, detail: `'${name}' was created despite the lost answer (${sequenceState(found)})` });
            } else if (recreated.has(name)) {
              return fail('create', error, name);
            } else {
              // Proved absent by the list just read: one more create is not a blind repeat.
              recreated.add(name);
            }
          } else {
            return fail('create', error, name);
          }
        }
        continue;
      }

      const target = action.sequence;
      serie = target.serie;
      // The local view of the sequence being worked on: a failed run reports the state it reached.
      sequence = target;
      if (!recorded(target.serie, 'create')) {
        record({ action: 'create', status: 'skipped', serie: target.serie, detail: `'${target.serie}' exists (${sequenceState(target)})` });
      }

      if (action.type === 'register') {
        let refusal: InvoiceXpressError | undefined;
        try {
          await client.register(target.id);
          changed = true;
        } catch (error) {
          if (!isInvoiceXpressError(error) || error.kind !== 'rejected') return fail('register', error, target.serie);
          refusal = error;
        }
        // Only the state tells what register did: a 200 may leave types pending (a partial
        // registration, never to be used), and a 422 may mean "already registered" (a concurrent
        // run, or our own attempt whose answer was lost and retried by the client).
        let current: Sequence;
        try {
          current = await client.get(target.id);
        } catch (readError) {
          // After an OK the read is the register's verification; after a 422 it was deciding what the 422 meant.
          return fail(refusal === undefined ? 'verify' : 'register', readError, target.serie);
        }
        sequences = upsert(sequences, current);
        sequence = current;
        if (current.registered) {
          lastRead = current;
          if (refusal === undefined) {
            record({ action: 'register', status: 'done', serie: target.serie, detail: `registered '${target.serie}' with AT (read back: registered)` });
          } else {
            record({ action: 'register', status: 'skipped', serie: target.serie, detail: `'${target.serie}' is already registered with AT (${refusal.messages.join('; ') || refusal.kind})` });
          }
        } else {
          const why =
            refusal === undefined
              ? `register answered OK but AT codes are still pending for ${pendingTypes(current).join(', ')}`
              : refusal.messages.length > 0
                ? refusal.messages.join('; ')
                : refusal.message;
          refused.set(target.serie, why);
          record({ action: 'register', status: 'failed', serie: target.serie, detail: `AT refused '${target.serie}': ${why}; it will not be made default` });
        }
        continue;
      }

      if (!recorded(target.serie, 'register')) {
        record({ action: 'register', status: 'skipped', serie: target.serie, detail: `'${target.serie}' is already registered with AT` });
      }

      if (action.type === 'set_current') {
        try {
          await client.setCurrent(target.id);
        } catch (error) {
          return fail('set_current', error, target.serie);
        }
        sequences = markDefault(sequences, target.id);
        changed = true;
        lastRead = undefined;
        record({ action: 'set_current', status: 'done', serie: target.serie, detail: `'${target.serie}' is now the default sequence` });
        continue;
      }

      // action.type === 'done'
      if (input.phase === 'activate' && !recorded(target.serie, 'set_current')) {
        record({ action: 'set_current', status: 'skipped', serie: target.serie, detail: `'${target.serie}' is already the default sequence` });
      }
      chosen = target;
    }

    serie = chosen.serie;
    sequence = chosen;
    fallback = describeFallback(chosen.serie, sequences);

    if (!changed) {
      record({ action: 'verify', status: 'skipped', serie, detail: 'nothing changed' });
      return finish('already_done');
    }

    let readBack: Sequence;
    if (lastRead?.id === chosen.id) {
      readBack = lastRead;
    } else {
      try {
        readBack = await client.get(chosen.id);
      } catch (error) {
        return fail('verify', error, serie);
      }
    }
    sequence = readBack;
    const problems: string[] = [];
    if (readBack.serie !== serie) problems.push(`serie is '${readBack.serie}'`);
    if (!readBack.registered) problems.push(`not registered with AT (pending: ${pendingTypes(readBack).join(', ')})`);
    if (input.phase === 'activate' && !readBack.isDefault) problems.push('not the default sequence');
    if (problems.length > 0) {
      const message = `'${serie}' read back ${problems.join('; ')}`;
      record({ action: 'verify', status: 'failed', serie, detail: `verify_mismatch: ${message}` });
      return finish('failed', { action: 'verify', kind: 'verify_mismatch', message });
    }
    record({ action: 'verify', status: 'done', serie, detail: `'${serie}' read back: ${sequenceState(readBack)}` });
    return finish(input.phase === 'prepare' ? 'ready' : 'activated');
  } catch (error) {
    if (error instanceof RunFailed) return finish('failed', error.failure);
    const { kind, message } = describeError(error);
    return finish('failed', { action: 'find', kind, message });
  }
}

export interface ReadinessOptions {
  client: InvoiceXpressClient;
  year: number;
  templates: readonly string[];
}

/** GET /rollover/{year}: read-only, one list call. Throws the client's error when the list fails. */
export async function readiness(options: ReadinessOptions): Promise<RolloverReadiness> {
  const candidates = serieNames(options.templates, options.year);
  const sequences = await options.client.list();
  const found =
    chooseRegistered(sequences, candidates) ??
    candidates.map((name) => findSerie(sequences, name)).find((sequence) => sequence !== undefined);
  return {
    year: options.year,
    serie: found?.serie ?? null,
    exists: found !== undefined,
    registered: found?.registered ?? false,
    current: found?.isDefault ?? false,
    sequence: found ?? null,
  };
}
