import type { Sequence } from '../sequence.ts';
import type { RolloverPhase } from './schemas.ts';
import type { RolloverStep } from './result.ts';

/**
 * The rollover's decisions, as pure functions of the account's state: which configured name to
 * use and what to do next with it. The executor (rollover.ts) calls `nextAction` after every
 * change; the dry run and the tests simulate it with `planSteps`.
 */

export type NextAction =
  /** Nothing left to do: the sequence is registered (and, for activate, the default). */
  | { type: 'done'; sequence: Sequence }
  | { type: 'set_current'; sequence: Sequence }
  | { type: 'register'; sequence: Sequence }
  | { type: 'create'; serie: string }
  /** Every configured name was refused by AT in this run. */
  | { type: 'exhausted' };

export function findSerie(sequences: readonly Sequence[], serie: string): Sequence | undefined {
  return sequences.find((sequence) => sequence.serie === serie);
}

/**
 * The registered candidate to use, if any: the one that is already the default (so an operator's
 * or an earlier run's choice is never switched away from), else the first in configured order.
 */
export function chooseRegistered(sequences: readonly Sequence[], candidates: readonly string[]): Sequence | undefined {
  const registered = candidates
    .map((serie) => findSerie(sequences, serie))
    .filter((sequence): sequence is Sequence => sequence?.registered === true);
  return registered.find((sequence) => sequence.isDefault) ?? registered[0];
}

/**
 * What to do next. Prefers a registered candidate; otherwise walks the candidates in order,
 * skipping names AT refused in this run: an existing (pending) one is registered, a missing one is
 * created. A serie is made default only once registered.
 */
export function nextAction(
  sequences: readonly Sequence[],
  candidates: readonly string[],
  phase: RolloverPhase,
  refused: ReadonlySet<string> = new Set(),
): NextAction {
  const chosen = chooseRegistered(sequences, candidates);
  if (chosen) {
    return phase === 'activate' && !chosen.isDefault ? { type: 'set_current', sequence: chosen } : { type: 'done', sequence: chosen };
  }
  for (const serie of candidates) {
    if (refused.has(serie)) continue;
    const existing = findSerie(sequences, serie);
    return existing ? { type: 'register', sequence: existing } : { type: 'create', serie };
  }
  return { type: 'exhausted' };
}

/** The local view after a successful set_current: the default moves to this sequence. */
export function markDefault(sequences: readonly Sequence[], id: number): Sequence[] {
  return sequences.map((sequence) => ({ ...sequence, isDefault: sequence.id === id }));
}

/** Adds or replaces (by id) a sequence in the local view. */
export function upsert(sequences: readonly Sequence[], sequence: Sequence): Sequence[] {
  return [...sequences.filter((existing) => existing.id !== sequence.id), sequence];
}

export interface Plan {
  /** The serie the run would end on (the first candidate when it would have to be created). */
  serie: string;
  /** Planned steps (status 'planned'); empty when there is nothing to do. */
  steps: RolloverStep[];
  /** The existing sequence the plan starts from, if any. */
  sequence: Sequence | null;
}

/**
 * The steps a run would take from this state if every call succeeded and AT accepted the first
 * name it tried. A created serie may come back registered already ("creates and registers") or
 * pending: the plan lists register as conditional in that case.
 */
export function planSteps(sequences: readonly Sequence[], candidates: readonly string[], phase: RolloverPhase): Plan {
  const steps: RolloverStep[] = [];
  const planned = (action: RolloverStep['action'], serie: string, detail: string): void => {
    steps.push({ action, status: 'planned', serie, detail });
  };
  const first = candidates[0] ?? '';
  const action = nextAction(sequences, candidates, phase);
  switch (action.type) {
    case 'done':
      return { serie: action.sequence.serie, steps, sequence: action.sequence };
    case 'exhausted':
      return { serie: first, steps, sequence: null };
    case 'set_current': {
      const { serie, id } = action.sequence;
      planned('set_current', serie, `make '${serie}' (id ${String(id)}) the default sequence`);
      planned('verify', serie, `read '${serie}' back: registered and default`);
      return { serie, steps, sequence: action.sequence };
    }
    case 'register':
    case 'create': {
      const serie = action.type === 'create' ? action.serie : action.sequence.serie;
      if (action.type === 'create') {
        planned('create', serie, `create '${serie}' with default_sequence 0`);
        planned('register', serie, `register '${serie}' with AT if any document type is still pending after create`);
      } else {
        planned('register', serie, `register '${serie}' (id ${String(action.sequence.id)}) with AT: document types pending`);
      }
      if (phase === 'activate') planned('set_current', serie, `make '${serie}' the default sequence once registered`);
      planned('verify', serie, `read '${serie}' back: registered${phase === 'activate' ? ' and default' : ''}`);
      return { serie, steps, sequence: action.type === 'register' ? action.sequence : null };
    }
  }
}
