import * as z from './zod.ts';

/**
 * The Sequence of the service contract (camelCase, stable). This schema is the single source for
 * the TypeScript type, the HTTP responses and the OpenAPI document.
 */
export const AtcudStatusSchema = z
  .enum(['registered', 'pending', 'not_applicable'])
  .check(
    z.describe('registered: AT gave a code; pending: N/D, must be registered before use; not_applicable: N/A'),
  );

export const DocumentSequenceSchema = z.object({
  sequenceId: z.int().check(z.describe('InvoiceXpress id to pass as sequence_id when issuing this document type')),
  lastNumber: z.int().check(z.describe('Last number used in this serie for this document type (0 when none)')),
  validationCode: z
    .nullable(z.string())
    .check(z.describe('AT validation code, or null when pending / not applicable')),
  atcud: AtcudStatusSchema,
});

export const SequenceSchema = z.object({
  id: z.int().check(z.positive()),
  serie: z.string(),
  isDefault: z.boolean(),
  documents: z
    .record(z.string(), DocumentSequenceSchema)
    .check(z.describe('One entry per document type InvoiceXpress reports, keyed by its snake_case name')),
  registered: z
    .boolean()
    .check(
      z.describe(
        'True when InvoiceXpress reports the document types and none is pending at AT. A sequence whose answer ' +
          'carries no document fields is not registered: its status is unknown.',
      ),
    ),
});

export type AtcudStatus = z.infer<typeof AtcudStatusSchema>;
export type DocumentSequence = z.infer<typeof DocumentSequenceSchema>;
export type Sequence = z.infer<typeof SequenceSchema>;

/**
 * Registered means proven: at least one document type reported and none pending. "Every type of
 * none is registered" would make an answer without document fields count as usable.
 */
export function isRegistered(documents: Record<string, DocumentSequence>): boolean {
  const all = Object.values(documents);
  return all.length > 0 && all.every((document) => document.atcud !== 'pending');
}

/** The document types AT has not registered yet (`N/D`). */
export function pendingTypes(sequence: Sequence): string[] {
  return Object.entries(sequence.documents)
    .filter(([, document]) => document.atcud === 'pending')
    .map(([type]) => type);
}

/** What is known of a sequence's AT registration: `unknown` when the answer carried no document fields. */
export function registrationOf(sequence: Sequence): 'registered' | 'pending' | 'unknown' {
  if (Object.keys(sequence.documents).length === 0) return 'unknown';
  return sequence.registered ? 'registered' : 'pending';
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
