import * as z from '../zod.ts';

/**
 * The Sequence of the service contract (camelCase, stable). This schema is the single source for
 * the TypeScript type, the HTTP responses and the OpenAPI document.
 */
const AtcudStatusSchema = z
  .enum(['registered', 'pending', 'not_applicable', 'unknown'])
  .check(
    z.describe(
      'registered: AT gave a code; pending: N/D, must be registered before use; not_applicable: N/A; unknown: ' +
        "InvoiceXpress's answer lacks or garbles one of the type's fields (sequence id, number, validation code): " +
        'not usable until an answer shows all three',
    ),
  );

const DocumentSequenceSchema = z.object({
  sequenceId: z
    .nullable(z.int())
    .check(
      z.describe(
        'InvoiceXpress id to pass as sequence_id when issuing this document type; null when its answer did not give one ' +
          '(the type cannot be issued through the API)',
      ),
    ),
  lastNumber: z.nullable(z.int()).check(z.describe('Last number used in this serie for this document type (0 when none); null when not given')),
  validationCode: z.nullable(z.string()).check(z.describe('AT validation code, or null when pending / not applicable / not given')),
  atcud: AtcudStatusSchema,
});

export const SequenceSchema = z.object({
  id: z.int().check(z.positive()),
  serie: z.string(),
  isDefault: z.boolean(),
  documents: z.record(z.string(), DocumentSequenceSchema).check(z.describe('One entry per document type InvoiceXpress reports, keyed by its snake_case name')),
  registered: z
    .boolean()
    .check(
      z.describe(
        'True when InvoiceXpress reports the document types, each complete, and none is pending at AT. A sequence ' +
          'whose answer carries no document fields, or a document type with status unknown, is not registered.',
      ),
    ),
});

export type AtcudStatus = z.infer<typeof AtcudStatusSchema>;
export type DocumentSequence = z.infer<typeof DocumentSequenceSchema>;
export type Sequence = z.infer<typeof SequenceSchema>;

/**
 * Registered means proven: at least one document type reported, each complete, none pending.
 * "Every type of none is registered" would make an answer without document fields count as usable.
 */
export function isRegistered(documents: Record<string, DocumentSequence>): boolean {
  const all = Object.values(documents);
  return all.length > 0 && all.every((document) => document.atcud === 'registered' || document.atcud === 'not_applicable');
}

/** The document types AT has not registered yet (`N/D`). */
export function pendingTypes(sequence: Sequence): string[] {
  return typesWith(sequence, 'pending');
}

/** The document types whose answer was incomplete (atcud `unknown`). */
function unknownTypes(sequence: Sequence): string[] {
  return typesWith(sequence, 'unknown');
}

function typesWith(sequence: Sequence, status: AtcudStatus): string[] {
  return Object.entries(sequence.documents)
    .filter(([, document]) => document.atcud === status)
    .map(([type]) => type);
}

/**
 * What is known of a sequence's AT registration: `unknown` when the answer carried no document
 * fields, or any document type is unknown (then "only pending", which a register would settle,
 * is not proven either).
 */
export function registrationOf(sequence: Sequence): 'registered' | 'pending' | 'unknown' {
  if (Object.keys(sequence.documents).length === 0 || unknownTypes(sequence).length > 0) return 'unknown';
  return sequence.registered ? 'registered' : 'pending';
}

/** Why a sequence is not registered, for messages: what is pending, or why its status is unknown ('' when registered). */
export function registrationDetail(sequence: Sequence): string {
  if (Object.keys(sequence.documents).length === 0) return 'InvoiceXpress reports no document types for it';
  const unknown = unknownTypes(sequence);
  if (unknown.length > 0) return `InvoiceXpress's answer is incomplete for ${unknown.join(', ')}`;
  const pending = pendingTypes(sequence);
  return pending.length === 0 ? '' : `pending: ${pending.join(', ')}`;
}

/**
 * A serie name InvoiceXpress and AT accept: at most 35 characters, letters, digits and - _ /
 * (no spaces or other special characters), not starting with "AT". The exact character set is not
 * published; this is the conservative reading of several vendors' rules. The one rule for the API's
 * create and for the rollover's serie templates.
 */
export const SerieNameSchema = z.string().check(
  z.minLength(1),
  z.maxLength(35),
  z.regex(/^[A-Za-z0-9][A-Za-z0-9_\-/]*$/, 'only letters, digits and - _ / are allowed, starting with a letter or digit'),
  z.refine((name) => !name.toUpperCase().startsWith('AT'), 'must not start with "AT"'),
  z.describe('The serie name, e.g. "2027"'),
);
