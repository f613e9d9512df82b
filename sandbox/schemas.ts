import { INVOICEXPRESS_OPERATIONS } from '../shared/invoicexpress/errors.ts';
import * as z from '../shared/zod.ts';

/**
 * The sandbox's settings as zod schemas: the control endpoint parses its bodies with them and
 * sandbox/types.ts infers the TypeScript types from them, so the two cannot disagree.
 */

const SandboxOperationSchema = z.enum(INVOICEXPRESS_OPERATIONS);
const StatusSchema = z.int().check(z.minimum(100), z.maximum(599));
/** Delays up to ten minutes. */
export const SandboxDelayMsSchema = z.int().check(z.minimum(0), z.maximum(600_000));
/**
 * The body of an error answer: 'list' is InvoiceXpress's recorded `{"errors":[{"error":message}]}`,
 * 'code' the shape client libraries recorded, `{"errors":{"code":code,"message":message}}`.
 */
export const SandboxErrorShapeSchema = z.enum(['list', 'code']);
const SerieSchema = z.string().check(z.minLength(1), z.maxLength(35));

export const SandboxFaultSchema = z.discriminatedUnion('kind', [
  /** Answer normally, after a delay. */
  z.strictObject({ kind: z.literal('latency'), ms: SandboxDelayMsSchema }),
  /** Answer this status instead of acting. retryAfterSeconds sets Retry-After (seconds). */
  z.strictObject({
    kind: z.literal('status'),
    status: StatusSchema,
    retryAfterSeconds: z.optional(z.int().check(z.minimum(0))),
    body: z.optional(z.string()),
  }),
  /** Never answer (the socket stays open until the client gives up or the sandbox closes). */
  z.strictObject({ kind: z.literal('hang') }),
  /** Perform the operation, then destroy the socket without answering (a lost response). */
  z.strictObject({ kind: z.literal('drop_response') }),
  /** Answer 200 with a body that is not the expected shape. */
  z.strictObject({ kind: z.literal('malformed'), body: z.string() }),
]);

export const SandboxFaultRuleSchema = z.strictObject({
  fault: SandboxFaultSchema,
  /** Only requests for these operations (default: all). */
  operations: z.optional(z.array(SandboxOperationSchema).check(z.minLength(1))),
  /** How many matching requests it applies to (default: unlimited until cleared). */
  times: z.optional(z.int().check(z.positive())),
});

/**
 * How AT (behind InvoiceXpress) behaves. Every field has a default (sandbox/at.ts), and `setAt`
 * changes only the fields it is given, at any time.
 */
export const SandboxAtBehaviourSchema = z.strictObject({
  /**
   * What create does: 'register' gives codes at once (when register would succeed for that serie
   * right now), 'pending' leaves the relevant types `N/D` until register.
   */
  onCreate: z.enum(['register', 'pending']),
  /**
   * What register does with a sequence that has `N/D` types:
   * 'ok' gives codes; 'pending' answers OK but leaves `N/D`; 'reject' refuses the series named in
   * `rejectSeries` with the reject* answer (others register); 'account_failure' answers every
   * serie with the accountFailure* answer. A refused serie stays `N/D`.
   */
  onRegister: z.enum(['ok', 'pending', 'reject', 'account_failure']),
  /** The series 'reject' refuses, by exact name, or 'all' (default). */
  rejectSeries: z.union([z.literal('all'), z.array(SerieSchema).check(z.minLength(1))]),
  /** Refusal of a serie: HTTP status (default 422), body shape (default 'list'), code ('001'), message. */
  rejectStatus: StatusSchema,
  rejectShape: SandboxErrorShapeSchema,
  rejectCode: z.string(),
  rejectMessage: z.string().check(z.minLength(1)),
  /** Account-wide failure (e.g. missing AT credentials): status (422), shape ('code'), code ('004'), message. */
  accountFailureStatus: StatusSchema,
  accountFailureShape: SandboxErrorShapeSchema,
  accountFailureCode: z.string(),
  accountFailureMessage: z.string().check(z.minLength(1)),
  /** Register's answer (and its effect) comes this many ms after the request (default 0). */
  registerDelayMs: SandboxDelayMsSchema,
  /** After an OK registration, the codes appear this many ms later; until then the types read `N/D` (default 0). */
  codesDelayMs: SandboxDelayMsSchema,
  /** Status of register on a sequence with nothing pending (code 007): 422 (default) or 409. */
  alreadyRegisteredStatus: z.union([z.literal(409), z.literal(422)]),
});

/** Wire variations seen on the live API (see reference notes); all default to the docs' shapes. */
export const SandboxVariantsSchema = z.strictObject({
  /** Key holding a single sequence in get/create answers: docs say 'sequences', live seen 'sequence'. */
  singleKey: z.optional(z.enum(['sequences', 'sequence'])),
  /** Register/set_current body: 'docs' (register: {"sequences":[{...}]}, set_current: empty), 'empty', 'text'. */
  actionBody: z.optional(z.enum(['docs', 'empty', 'text'])),
  /** Numbers and default_sequence as strings ("1"/"0"). */
  stringly: z.optional(z.boolean()),
  /** Page size for list; when set, list answers carry a `pagination` object and honour ?page=&per_page=. */
  pageSize: z.optional(z.int().check(z.positive())),
  /**
   * Where answers carry the current_<type>_* fields: 'all' (default), 'not_in_list' (the list
   * omits them, get/create/register answers have them), 'none' (no answer has them).
   */
  currentFields: z.optional(z.enum(['all', 'not_in_list', 'none'])),
  /**
   * Every create makes the new serie the account's default, whatever `default_sequence` said (the
   * web app does this; whether the API does is unknown: docs/invoicexpress.md). Default false.
   */
  createBecomesDefault: z.optional(z.boolean()),
});

/** One sequence to seed the account with. */
export const SandboxSeedSequenceSchema = z.strictObject({
  serie: SerieSchema,
  /** The account's default (at most one per seed). Default false. */
  default: z.optional(z.boolean()),
  /**
   * Its document types: 'registered' (codes; default), 'pending' (relevant types `N/D`),
   * 'partial' (invoice, invoice_receipt and simplified_invoice have codes, the other relevant
   * types `N/D`), 'none' (no current_* fields at all), 'incomplete' (registered, but the invoice
   * type has only its number: no sequence id, no validation code).
   */
  documents: z.optional(z.enum(['registered', 'pending', 'partial', 'none', 'incomplete'])),
  /** A fixed id (default: the next free one). */
  id: z.optional(z.int().check(z.positive())),
});

/** 'docs': the docs' example "2022" (default, registered); 'empty': no sequences; or a list. */
export const SandboxSeedSchema = z.union([z.enum(['docs', 'empty']), z.array(SandboxSeedSequenceSchema)]);

/**
 * An account's name: an InvoiceXpress host label (`{name}.app.invoicexpress.com`), lowercase so
 * that one account has one path, `/accounts/{name}`.
 */
export const SandboxAccountNameSchema = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
      'must be an InvoiceXpress account name: 1 to 63 lowercase letters, digits or hyphens, not starting or ending with a hyphen',
    ),
  );

/** An account's API key: it travels in `?api_key=`, so no spaces. */
export const SandboxApiKeySchema = z.string().check(z.regex(/^\S+$/, 'must be a non-empty key without spaces'));
