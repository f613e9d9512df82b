import { DOCUMENT_TYPES } from '../shared/document-types.ts';
import type { RawSequence, SandboxSeedSequence } from './types.ts';

/** Types the docs' example shows as `N/A` (not relevant for ATCUD). */
const NOT_APPLICABLE = new Set<string>(['fees_note', 'vat_moss_invoice', 'vat_moss_credit_note', 'vat_moss_receipt']);

/** Sub-sequence ids of the docs' example, by type (the sequence id is the invoice's). */
const EXAMPLE_IDS: Record<(typeof DOCUMENT_TYPES)[number], number> = {
  invoice: 146090,
  invoice_receipt: 146092,
  simplified_invoice: 146091,
  credit_note: 146095,
  debit_note: 146094,
  receipt: 146093,
  shipping: 146104,
  transport: 146106,
  devolution: 146105,
  proforma: 146102,
  quote: 146101,
  fees_note: 146103,
  vat_moss_invoice: 146097,
  vat_moss_credit_note: 146098,
  vat_moss_receipt: 146099,
};

/** Allocates ids for new sequences (above the example's) and AT validation codes. */
export class SequenceIds {
  #nextId = 146_200;
  #nextCode = 0;

  /** Later blocks start above `id` (a fixed id given by a seed). */
  skipPast(id: number): void {
    this.#nextId = Math.max(this.#nextId, id + 1);
  }

  /** A block of consecutive ids, one per document type. */
  block(): number[] {
    const first = this.#nextId;
    this.#nextId += DOCUMENT_TYPES.length + 5;
    return DOCUMENT_TYPES.map((_, index) => first + index);
  }

  /** An 8-character code shaped like the docs' "ABCD1230", unique within this sandbox. */
  code(): string {
    return `SBX${String(this.#nextCode++ % 100_000).padStart(5, '0')}`;
  }
}

/** The docs' example sequence "2022": the default, registered, fees notes and VAT MOSS `N/A`. */
export function docsExampleSequence(): RawSequence {
  const sequence: RawSequence = { id: 146090, serie: '2022', default_sequence: 1 };
  DOCUMENT_TYPES.forEach((type, index) => {
    sequence[`current_${type}_number`] = 0;
    sequence[`current_${type}_sequence_id`] = EXAMPLE_IDS[type];
    sequence[`current_${type}_validation_code`] = NOT_APPLICABLE.has(type) ? 'N/A' : `ABCD${String(1230 + index)}`;
  });
  return sequence;
}

/** A new sequence as create makes it before AT answers: relevant types `N/D`, the rest `N/A`. */
export function newSequence(ids: SequenceIds, serie: string, fixedId?: number): RawSequence {
  const block = ids.block();
  const id = fixedId ?? block[0] ?? 0;
  const sequence: RawSequence = { id, serie, default_sequence: 0 };
  DOCUMENT_TYPES.forEach((type, index) => {
    sequence[`current_${type}_number`] = 0;
    // The sequence's id is its invoice sub-sequence's id, as in the docs and recordings.
    sequence[`current_${type}_sequence_id`] = type === 'invoice' ? id : (block[index] ?? id);
    sequence[`current_${type}_validation_code`] = NOT_APPLICABLE.has(type) ? 'N/A' : 'N/D';
  });
  return sequence;
}

/** AT accepts the serie: every `N/D` type gets a validation code. */
export function giveValidationCodes(sequence: RawSequence, ids: SequenceIds): void {
  for (const type of DOCUMENT_TYPES) {
    const key = `current_${type}_validation_code`;
    if (sequence[key] === 'N/D') sequence[key] = ids.code();
  }
}

/** Types a 'partial' seed registers; its other relevant types stay `N/D`. */
const PARTIAL_REGISTERED = new Set<string>(['invoice', 'invoice_receipt', 'simplified_invoice']);

/** One seeded sequence in the state its spec names (see SandboxSeedSequence). */
export function seededSequence(spec: SandboxSeedSequence, ids: SequenceIds): RawSequence {
  const sequence = newSequence(ids, spec.serie, spec.id);
  sequence.default_sequence = spec.default ? 1 : 0;
  switch (spec.documents ?? 'registered') {
    case 'registered':
      giveValidationCodes(sequence, ids);
      break;
    case 'partial':
      for (const type of PARTIAL_REGISTERED) sequence[`current_${type}_validation_code`] = ids.code();
      break;
    case 'pending':
      break;
    case 'none':
      return { id: sequence.id, serie: sequence.serie, default_sequence: sequence.default_sequence };
    case 'incomplete':
      // As a real account was recorded answering: the invoice type's number, nothing else of it.
      giveValidationCodes(sequence, ids);
      delete sequence['current_invoice_sequence_id'];
      delete sequence['current_invoice_validation_code'];
      break;
  }
  return sequence;
}
