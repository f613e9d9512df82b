import { docsExampleSequence, newSequence, giveValidationCodes, seededSequence, SequenceIds } from './seed.ts';
import type { RawSequence, SandboxSeed } from './types.ts';
import type * as z from '../shared/zod.ts';

/** A seed or setting the sandbox cannot honour (the control endpoint answers it with 400). */
export class SandboxInputError extends Error {
  override readonly name = 'SandboxInputError';
}

/** `value` checked with `schema`, or a SandboxInputError naming `what` (for settings given in code, not in a body). */
export function checkedInput<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new SandboxInputError(`${what}: ${result.error.issues.map((issue) => issue.message).join('; ')}`);
  return result.data;
}

/**
 * The account's sequences: the state behind every InvoiceXpress operation of the sandbox. It
 * knows nothing of HTTP; AT's codes may be due later (`codesDelayMs`), and `settle(now)` gives
 * them out once their time has come.
 */
export class SandboxAccount {
  #sequences = new Map<number, RawSequence>();
  #ids = new SequenceIds();
  /** Sequence id → when AT's codes appear (an OK registration whose codes are delayed). */
  #codesDueAt = new Map<number, number>();

  /** Replaces every sequence. `restartIds` also restarts id allocation (a full reset). */
  seed(seed: SandboxSeed, options: { restartIds?: boolean } = {}): void {
    const ids = options.restartIds ? new SequenceIds() : this.#ids;
    const sequences = seedSequences(seed, ids);
    this.#ids = ids;
    this.#sequences = new Map(sequences.map((sequence) => [sequence.id, sequence]));
    this.#codesDueAt = new Map();
  }

  /** Every sequence, in id order (live objects: copy before handing out). */
  all(): RawSequence[] {
    return [...this.#sequences.values()].sort((a, b) => a.id - b.id);
  }

  find(id: number): RawSequence | undefined {
    return this.#sequences.get(id);
  }

  hasSerie(serie: string): boolean {
    return this.all().some((sequence) => sequence.serie === serie);
  }

  create(serie: string, isDefault: boolean): RawSequence {
    const sequence = newSequence(this.#ids, serie);
    if (isDefault) for (const other of this.#sequences.values()) other.default_sequence = 0;
    sequence.default_sequence = isDefault ? 1 : 0;
    this.#sequences.set(sequence.id, sequence);
    return sequence;
  }

  /** AT accepted: codes now (delayMs 0) or once `delayMs` has passed. */
  register(sequence: RawSequence, now: number, delayMs: number): void {
    if (delayMs > 0) this.#codesDueAt.set(sequence.id, now + delayMs);
    else giveValidationCodes(sequence, this.#ids);
  }

  /** True when an accepted registration's codes are still to come. */
  registering(id: number): boolean {
    return this.#codesDueAt.has(id);
  }

  setCurrent(sequence: RawSequence): void {
    for (const other of this.#sequences.values()) other.default_sequence = other.id === sequence.id ? 1 : 0;
  }

  /** Gives out the codes whose time has come. */
  settle(now: number): void {
    for (const [id, dueAt] of this.#codesDueAt) {
      if (dueAt > now) continue;
      const sequence = this.#sequences.get(id);
      if (sequence) giveValidationCodes(sequence, this.#ids);
      this.#codesDueAt.delete(id);
    }
  }
}

function seedSequences(seed: SandboxSeed, ids: SequenceIds): RawSequence[] {
  if (seed === 'empty') return [];
  if (seed === 'docs') return [docsExampleSequence()];
  checkSeed(seed);
  for (const spec of seed) if (spec.id !== undefined) ids.skipPast(spec.id);
  return seed.map((spec) => seededSequence(spec, ids));
}

function checkSeed(seed: Exclude<SandboxSeed, string>): void {
  const duplicate = <T>(values: T[]): T | undefined => values.find((value, index) => values.indexOf(value) !== index);
  const serie = duplicate(seed.map((spec) => spec.serie));
  if (serie !== undefined) throw new SandboxInputError(`seed: serie "${serie}" appears twice`);
  const id = duplicate(seed.flatMap((spec) => (spec.id === undefined ? [] : [spec.id])));
  if (id !== undefined) throw new SandboxInputError(`seed: id ${String(id)} appears twice`);
  const defaults = seed.filter((spec) => spec.default === true).map((spec) => spec.serie);
  if (defaults.length > 1) throw new SandboxInputError(`seed: only one sequence can be the default, got ${defaults.join(', ')}`);
}
