import * as z from '../zod.ts';
import { isRegistered, SequenceSchema } from '../sequences/sequence.ts';
import type { AtcudStatus, DocumentSequence, Sequence } from '../sequences/sequence.ts';
import { InvoiceXpressError } from './errors.ts';
import type { InvoiceXpressOperation } from './errors.ts';
import { issueLines } from '../zod-issues.ts';

/**
 * InvoiceXpress's raw answers (snake_case, loosely typed on the live API) and their normalisation
 * into the contract's Sequence. Strict only on what the service cannot act on safely without (id,
 * serie, default_sequence); a document type with missing or garbled fields is kept as `unknown`;
 * tolerant of everything else (extra fields and types, numbers as strings, 1/0 vs "1"/"0" vs
 * booleans, `sequence` vs `sequences`, one-element lists).
 */

/** Where a body came from, for the malformed_response message (no query string, no key). */
export interface WireContext {
  operation: InvoiceXpressOperation;
  /** Path without query string, e.g. /sequences/123.json */
  path?: string | undefined;
  status?: number | undefined;
}

// ---------------------------------------------------------------------------------------------
// Scalars

/** An integer that may come as a number or as a string of digits ("146090"). */
const IntLikeSchema = z.union([
  z.int(),
  z.pipe(
    z.pipe(
      z.string().check(z.trim(), z.regex(/^-?\d+$/, 'expected an integer')),
      z.transform((value: string) => Number(value)),
    ),
    z.int().check(z.int()), // classic `.int().safe()`: the same safe-integer check twice
  ),
]);

/** `default_sequence`: 1/0, "1"/"0", true/false, "true"/"false". */
const DefaultFlagSchema = z.union([
  z.boolean(),
  z.pipe(
    z.literal([0, 1]),
    z.transform((value: 0 | 1) => value === 1),
  ),
  z.pipe(
    z.pipe(z.string().check(z.trim(), z.toLowerCase()), z.enum(['0', '1', 'true', 'false'])),
    z.transform((value: '0' | '1' | 'true' | 'false') => value === '1' || value === 'true'),
  ),
]);

/** `serie`: "2027", or 2027 when it was sent as a number. */
const SerieSchema = z.union([
  z.string().check(z.minLength(1, 'expected a non-empty serie')),
  z.pipe(
    z.int(),
    z.transform((value: number) => String(value)),
  ),
]);

// ---------------------------------------------------------------------------------------------
// Objects

/** One sequence as InvoiceXpress sends it. Unknown fields pass through (document types live there). */
const RawSequenceSchema = z.looseObject({
  id: z.pipe(IntLikeSchema, z.int().check(z.positive())),
  serie: SerieSchema,
  default_sequence: DefaultFlagSchema,
});
type RawSequenceWire = z.infer<typeof RawSequenceSchema>;

/** `pagination` as other InvoiceXpress lists carry it. Only total_pages is relied upon. */
const PaginationSchema = z.looseObject({
  total_pages: z.pipe(IntLikeSchema, z.int().check(z.nonnegative())),
  current_page: z.catch(z.optional(IntLikeSchema), undefined),
  per_page: z.catch(z.optional(z.pipe(IntLikeSchema, z.int().check(z.positive()))), undefined),
  total_entries: z.catch(z.optional(z.pipe(IntLikeSchema, z.int().check(z.nonnegative()))), undefined),
});
export type Pagination = z.infer<typeof PaginationSchema>;

/** A document type's field, current_<type>_<field>: the client's rule, and the probe's (local/probe/). */
export const DOCUMENT_FIELD = /^current_([a-z0-9]+(?:_[a-z0-9]+)*)_(sequence_id|number|validation_code)$/;

// ---------------------------------------------------------------------------------------------
// Normalisation

function describeIssues(error: z.core.$ZodError): string {
  return issueLines(error, { limit: 3 }).join('; ');
}

/** The malformed_response error for a body that does not have the shape we rely on. */
export function malformed(context: WireContext, problem: string): InvoiceXpressError {
  const where = context.path === undefined ? '' : ` ${context.path}`;
  const answered = context.status === undefined ? '' : ` answered ${String(context.status)} but`;
  return new InvoiceXpressError({
    kind: 'malformed_response',
    operation: context.operation,
    status: context.status,
    message: `InvoiceXpress ${context.operation}${where}${answered} the body is not usable: ${problem}`,
  });
}

/** A shape problem, described without any of the body's values. */
interface Problem {
  problem: string;
}

interface AtStatus {
  atcud: AtcudStatus;
  validationCode: string | null;
}

/** A validation code the answer carries (absent: the caller's concern). */
function validationStatus(code: unknown): AtStatus {
  // null or blank: not proven registered, so never treated as usable.
  if (code === null) return { atcud: 'pending', validationCode: null };
  if (typeof code !== 'string') return { atcud: 'unknown', validationCode: null };
  const trimmed = code.trim();
  const upper = trimmed.toUpperCase();
  if (trimmed === '' || upper === 'N/D') return { atcud: 'pending', validationCode: null };
  if (upper === 'N/A') return { atcud: 'not_applicable', validationCode: null };
  return { atcud: 'registered', validationCode: trimmed };
}

/**
 * One document type's fields → what is known of it. A missing or unreadable field is null and
 * makes the status `unknown`: the type is kept (refusing it would refuse the whole account) but
 * never counts as registered, nor as only pending.
 */
function toDocument(fields: ReadonlyMap<string, unknown>): DocumentSequence {
  const sequenceId = IntLikeSchema.safeParse(fields.get('sequence_id'));
  const lastNumber = IntLikeSchema.safeParse(fields.get('number'));
  const status: AtStatus = fields.has('validation_code') ? validationStatus(fields.get('validation_code')) : { atcud: 'unknown', validationCode: null };
  return {
    sequenceId: sequenceId.success ? sequenceId.data : null,
    lastNumber: lastNumber.success ? lastNumber.data : null,
    validationCode: status.validationCode,
    atcud: sequenceId.success && lastNumber.success ? status.atcud : 'unknown',
  };
}

/** The current_T_* fields of a raw sequence, by document type T. */
function documentFields(wire: RawSequenceWire): Map<string, Map<string, unknown>> {
  const fields = new Map<string, Map<string, unknown>>();
  for (const [key, value] of Object.entries(wire)) {
    const match = DOCUMENT_FIELD.exec(key);
    if (!match) continue;
    const type = match[1] as string;
    let entry = fields.get(type);
    if (!entry) {
      entry = new Map();
      fields.set(type, entry);
    }
    entry.set(match[2] as string, value);
  }
  return fields;
}

function toSequence(raw: unknown): Sequence | Problem {
  const parsed = RawSequenceSchema.safeParse(raw);
  if (!parsed.success) return { problem: describeIssues(parsed.error) };
  const wire = parsed.data;
  const documents: Record<string, DocumentSequence> = {};
  for (const [type, fields] of documentFields(wire)) documents[type] = toDocument(fields);

  const checked = SequenceSchema.safeParse({
    id: wire.id,
    serie: wire.serie,
    isDefault: wire.default_sequence,
    documents,
    registered: isRegistered(documents),
  });
  if (!checked.success) return { problem: describeIssues(checked.error) };
  return checked.data;
}

function isProblem(value: Sequence | Problem): value is Problem {
  return 'problem' in value;
}

/**
 * One raw sequence → the contract Sequence. Document types are discovered from the keys
 * current_T_sequence_id / current_T_number / current_T_validation_code (T in snake_case).
 * Validation code: a code → registered; "N/D", null or blank → pending; "N/A" → not_applicable.
 * A type whose sequence id or number is missing or not an integer, or whose validation code is
 * missing or not a string, is kept with the fields known and status `unknown` (not registered).
 * Throws InvoiceXpressError kind 'malformed_response' only without a usable id, serie or
 * default_sequence.
 */
export function normalizeSequence(raw: unknown, context: WireContext): Sequence {
  const result = toSequence(raw);
  if (isProblem(result)) throw malformed(context, result.problem);
  return result;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON text → value; an empty, blank or non-JSON body is malformed_response. */
export function parseJsonBody(text: string, context: WireContext): unknown {
  if (text.trim() === '') throw malformed(context, 'empty body, expected JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed(context, 'body is not JSON');
  }
}

/**
 * A single-sequence answer (get, create, and register's documented one-element list):
 * {"sequences": {...}}, {"sequence": {...}}, {"sequences": [{...}]}, or the bare object.
 */
export function parseSequenceBody(body: unknown, context: WireContext): Sequence {
  if (!isRecord(body)) throw malformed(context, 'expected a JSON object');
  let inner: unknown = body['sequence'] ?? body['sequences'];
  if (inner === undefined && 'id' in body) inner = body;
  if (inner === undefined) throw malformed(context, 'no "sequence" or "sequences" in the answer');
  if (Array.isArray(inner)) {
    if (inner.length !== 1) {
      throw malformed(context, `expected one sequence, got a list of ${String(inner.length)}`);
    }
    inner = inner[0];
  }
  if (!isRecord(inner)) throw malformed(context, 'the sequence is not an object');
  return normalizeSequence(inner, context);
}

/** A list answer: {"sequences": [...], "pagination"?: {...}} (or a bare array). */
export function parseSequenceListBody(body: unknown, context: WireContext): { sequences: Sequence[]; pagination: Pagination | undefined } {
  let items: unknown;
  let pagination: Pagination | undefined;
  if (Array.isArray(body)) {
    items = body;
  } else if (isRecord(body)) {
    items = body['sequences'] ?? body['sequence'];
    if (isRecord(items)) items = [items];
    if (body['pagination'] !== undefined && body['pagination'] !== null) {
      const parsed = PaginationSchema.safeParse(body['pagination']);
      if (!parsed.success) throw malformed(context, `pagination: ${describeIssues(parsed.error)}`);
      pagination = parsed.data;
    }
  } else {
    throw malformed(context, 'expected a JSON object');
  }
  if (!Array.isArray(items)) throw malformed(context, 'no "sequences" list in the answer');
  // One bad element fails the whole list: silently dropping a serie could cause a duplicate create.
  const sequences = items.map((item: unknown, index) => {
    const result = toSequence(item);
    if (isProblem(result)) throw malformed(context, `sequences[${String(index)}]: ${result.problem}`);
    return result;
  });
  return { sequences, pagination };
}
