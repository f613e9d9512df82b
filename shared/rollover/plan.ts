import { registrationOf } from '../sequences/sequence.ts';
import type { Sequence } from '../sequences/sequence.ts';
import type { RolloverPhase } from './schemas.ts';

/**
 * The rollover's decisions, as pure functions of what the run knows. The executor (rollover.ts)
 * asks `decide` after every step and carries the decision out; the dry run and the tests simulate
 * it. Each rule, in the order it applies:
 *
 * 1. A default that is not one of the configured names and names the target year or a later one
 *    ("2028", a person's "FT2027" or "FT27": see yearNamedBy) is left alone: the run changes
 *    nothing and says why.
 * 2. Every configured name whose AT status the list did not give (no document fields) is read
 *    with `get` first: unknown is not registered, and it may be the registered default.
 *    Then a configured name that is registered is used: the one that is already the default, else the
 *    first in order (an earlier decision is never switched away from). activate makes it the
 *    default only on InvoiceXpress's word in this run that it is registered: the list's entry when
 *    it carries every document type's validation code (codes AT gave are not taken back), else a
 *    `get`; and reads it back after the switch.
 * 3. Otherwise the names in order, skipping those AT refused in this run: an existing pending one
 *    is registered; a missing one is created, unless this run already created one (at most one new
 *    serie per run: a misjudged refusal cannot burn every name at once).
 * 4. verify only reads: it stops unless the year's serie is registered and the default.
 *
 * Every family of series (families.ts) has its own state and its own decisions: nothing a family
 * decides names another family's series. A family other than the default one (`role` 'other')
 * never makes its serie the default: rule 1 does not apply to it (the default is not its own), and
 * verify (which is what activate does for it: a check) only asks for its serie to be registered.
 */

export interface PlanState {
  phase: RolloverPhase;
  year: number;
  /** Serie names for the year, in configured order. */
  candidates: readonly string[];
  /** The account as the run knows it: the list, updated by every read and change. */
  sequences: readonly Sequence[];
  /** Ids read with `get` in this run (their status is their own word, not the list's). */
  fresh: ReadonlySet<number>;
  /** Names refused in this run (AT refused the name, or registered it only partly), with why. */
  refused: ReadonlyMap<string, string>;
  /** Series this run created (for this family). */
  created: number;
  /** 'default' (absent): the family whose serie becomes the default; 'other': never made the default. */
  role?: 'default' | 'other' | undefined;
}

const isOther = (state: PlanState): boolean => state.role === 'other';

export type Decision =
  /** Nothing (more) to do: the serie is registered, and for activate/verify the default. */
  | { type: 'done'; sequence: Sequence }
  /** The default supersedes the target year: leave it as it is. */
  | { type: 'leave_alone'; sequence: Sequence; note: string }
  | { type: 'read'; sequence: Sequence; why: string }
  | { type: 'create'; serie: string }
  | { type: 'register'; sequence: Sequence }
  | { type: 'set_current'; sequence: Sequence }
  | { type: 'stop'; kind: 'at_refused' | 'name_limit' | 'not_ready'; message: string; sequence?: Sequence };

/** New series one run may create. */
const MAX_CREATES_PER_RUN = 1;

/**
 * The latest year a serie name names, read from its tokens (maximal runs of digits): a four-digit
 * 2000–2999 ("FT2027", "2027-12" → 2027), or, when the name has none, a two-digit one read as
 * 20YY ("FT27", "27A" → 2027). Other runs name no year ("A1270", "FT127", "20270"), and two
 * digits beside a four-digit year are a month, day or count ("2026-12-31" → 2026).
 */
export function yearNamedBy(serie: string): number | undefined {
  const tokens = serie.match(/\d+/g) ?? [];
  const fourDigit = tokens.filter((token) => /^2\d{3}$/.test(token)).map(Number);
  const years = fourDigit.length > 0 ? fourDigit : tokens.filter((token) => token.length === 2).map((token) => 2000 + Number(token));
  return years.length === 0 ? undefined : Math.max(...years);
}

export function findSerie(sequences: readonly Sequence[], serie: string): Sequence | undefined {
  return sequences.find((sequence) => sequence.serie === serie);
}

/** Rule 1: the default, when it is not ours and names this year or a later one. */
export function supersedingDefault(sequences: readonly Sequence[], candidates: readonly string[], year: number): Sequence | undefined {
  const current = sequences.find((sequence) => sequence.isDefault);
  if (current === undefined || candidates.includes(current.serie)) return undefined;
  const named = yearNamedBy(current.serie);
  return named !== undefined && named >= year ? current : undefined;
}

/** Rule 2: the registered configured name to use: the default one, else the first in order. */
export function chooseRegistered(
  sequences: readonly Sequence[],
  candidates: readonly string[],
  refused: ReadonlyMap<string, string> = new Map(),
): Sequence | undefined {
  const registered = candidates
    .filter((serie) => !refused.has(serie))
    .map((serie) => findSerie(sequences, serie))
    .filter((sequence): sequence is Sequence => sequence !== undefined && registrationOf(sequence) === 'registered');
  return registered.find((sequence) => sequence.isDefault) ?? registered[0];
}

function describeDefault(sequence: Sequence, year: number): string {
  const status = sequence.registered ? 'registered with AT' : 'NOT registered with AT (documents cannot be issued legally)';
  return (
    `the default serie '${sequence.serie}' names ${String(yearNamedBy(sequence.serie))}, not earlier than ${String(year)}, ` +
    `and is not one of the default family's configured names: a later year's serie, another family's, or a person's choice, left as it is (${status})`
  );
}

function decideChosen(state: PlanState, chosen: Sequence): Decision {
  if (state.phase === 'prepare' || chosen.isDefault || isOther(state)) return { type: 'done', sequence: chosen };
  if (state.phase === 'verify') {
    return { type: 'stop', kind: 'not_ready', message: `'${chosen.serie}' is registered but not the default serie`, sequence: chosen };
  }
  // Registered on InvoiceXpress's word in this run: a get, or the list's entry carrying every type's code.
  return { type: 'set_current', sequence: chosen };
}

function decideUnregistered(state: PlanState): Decision {
  if (state.phase === 'verify') {
    const names = state.candidates.map((name) => `'${name}'`).join(', ');
    return { type: 'stop', kind: 'not_ready', message: `none of ${names} is registered with AT${isOther(state) ? '' : ' and the default'}` };
  }
  for (const serie of state.candidates) {
    if (state.refused.has(serie)) continue;
    const sequence = findSerie(state.sequences, serie);
    if (sequence === undefined) {
      if (state.created >= MAX_CREATES_PER_RUN) {
        return {
          type: 'stop',
          kind: 'name_limit',
          message: `this run already created a serie; the next run will create '${serie}' (at most one new serie per run)`,
        };
      }
      return { type: 'create', serie };
    }
    return { type: 'register', sequence };
  }
  const reasons = [...state.refused].map(([name, why]) => `'${name}': ${why}`).join('; ');
  return { type: 'stop', kind: 'at_refused', message: `AT refused every configured serie name (${reasons}); none was made default` };
}

/** A configured name whose AT status the list did not give, not yet read in this run. */
function unread(state: PlanState): Sequence | undefined {
  return state.candidates
    .filter((serie) => !state.refused.has(serie))
    .map((serie) => findSerie(state.sequences, serie))
    .find((sequence) => sequence !== undefined && registrationOf(sequence) === 'unknown' && !state.fresh.has(sequence.id));
}

/** What to do next (see the rules above). */
export function decide(state: PlanState): Decision {
  const superseding = isOther(state) ? undefined : supersedingDefault(state.sequences, state.candidates, state.year);
  if (superseding !== undefined) return { type: 'leave_alone', sequence: superseding, note: describeDefault(superseding, state.year) };
  // Before choosing among the names, know them all: an unknown one may be the registered default.
  const unknown = unread(state);
  if (unknown !== undefined) return { type: 'read', sequence: unknown, why: 'the list carries no AT status for it' };
  const chosen = chooseRegistered(state.sequences, state.candidates, state.refused);
  return chosen === undefined ? decideUnregistered(state) : decideChosen(state, chosen);
}

/** The local view after a successful set_current: the default moves to this sequence. */
export function markDefault(sequences: readonly Sequence[], id: number): Sequence[] {
  return sequences.map((sequence) => ({ ...sequence, isDefault: sequence.id === id }));
}

/** Adds or replaces (by id) a sequence in the local view. */
export function upsert(sequences: readonly Sequence[], sequence: Sequence): Sequence[] {
  return [...sequences.filter((existing) => existing.id !== sequence.id), sequence];
}
