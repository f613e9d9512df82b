import type { InvoiceXpressOperation } from '../shared/invoicexpress/errors.ts';

/**
 * The InvoiceXpress sandbox's public surface, shared by tests, the local gateway, the CLI and the
 * benchmarks. The sandbox is a real HTTP server on loopback speaking InvoiceXpress's paths; its
 * control endpoint (`/_sandbox/...`, see sandbox/control.ts and docs/sandbox.md) drives the same
 * methods over HTTP.
 */
export type SandboxOperation = InvoiceXpressOperation;

/** InvoiceXpress's wire shape of a sequence (snake_case, current_<type>_* fields). */
export type RawSequence = Record<string, unknown> & { id: number; serie: string; default_sequence: number };

export type SandboxFault =
  /** Answer normally, after a delay. */
  | { kind: 'latency'; ms: number }
  /** Answer this status instead of acting. retryAfter sets Retry-After (seconds). */
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: string }
  /** Never answer (the socket stays open until the client gives up or the sandbox closes). */
  | { kind: 'hang' }
  /** Perform the operation, then destroy the socket without answering (a lost response). */
  | { kind: 'drop_response' }
  /** Answer 200 with a body that is not the expected shape. */
  | { kind: 'malformed'; body: string };

export interface SandboxFaultRule {
  fault: SandboxFault;
  /** Only requests for these operations (default: all). */
  operations?: SandboxOperation[];
  /** How many matching requests it applies to (default: unlimited until cleared). */
  times?: number;
}

/**
 * The body of an error answer: 'list' is InvoiceXpress's recorded `{"errors":[{"error":message}]}`,
 * 'code' the shape client libraries recorded, `{"errors":{"code":code,"message":message}}`.
 */
export type SandboxErrorShape = 'list' | 'code';

/**
 * How AT (behind InvoiceXpress) behaves. Every field has a default (sandbox/at.ts), and `setAt`
 * changes only the fields it is given, at any time.
 */
export interface SandboxAtBehaviour {
  /**
   * What create does: 'register' gives codes at once (when register would succeed for that serie
   * right now), 'pending' leaves the relevant types `N/D` until register.
   */
  onCreate: 'register' | 'pending';
  /**
   * What register does with a sequence that has `N/D` types:
   * 'ok' gives codes; 'pending' answers OK but leaves `N/D`; 'reject' refuses the series named in
   * `rejectSeries` with the reject* answer (others register); 'account_failure' answers every
   * serie with the accountFailure* answer. A refused serie stays `N/D`.
   */
  onRegister: 'ok' | 'pending' | 'reject' | 'account_failure';
  /** The series 'reject' refuses, by exact name, or 'all' (default). */
  rejectSeries: 'all' | string[];
  /** Refusal of a serie: HTTP status (default 422), body shape (default 'list'), code ('001'), message. */
  rejectStatus: number;
  rejectShape: SandboxErrorShape;
  rejectCode: string;
  rejectMessage: string;
  /** Account-wide failure (e.g. missing AT credentials): status (422), shape ('code'), code ('004'), message. */
  accountFailureStatus: number;
  accountFailureShape: SandboxErrorShape;
  accountFailureCode: string;
  accountFailureMessage: string;
  /** Register's answer (and its effect) comes this many ms after the request (default 0). */
  registerDelayMs: number;
  /** After an OK registration, the codes appear this many ms later; until then the types read `N/D` (default 0). */
  codesDelayMs: number;
  /** Status of register on a sequence with nothing pending (code 007): 422 (default) or 409. */
  alreadyRegisteredStatus: 409 | 422;
}

/** Wire variations seen on the live API (see reference notes); all default to the docs' shapes. */
export interface SandboxVariants {
  /** Key holding a single sequence in get/create answers: docs say 'sequences', live seen 'sequence'. */
  singleKey?: 'sequences' | 'sequence';
  /** Register/set_current body: 'docs' (register: {"sequences":[{...}]}, set_current: empty), 'empty', 'text'. */
  actionBody?: 'docs' | 'empty' | 'text';
  /** Numbers and default_sequence as strings ("1"/"0"). */
  stringly?: boolean;
  /** Page size for list; when set, list answers carry a `pagination` object and honour ?page=&per_page=. */
  pageSize?: number;
  /**
   * Where answers carry the current_<type>_* fields: 'all' (default), 'not_in_list' (the list
   * omits them, get/create/register answers have them), 'none' (no answer has them).
   */
  currentFields?: 'all' | 'not_in_list' | 'none';
  /**
   * Every create makes the new serie the account's default, whatever `default_sequence` said (the
   * web app does this; whether the API does is unknown: docs/invoicexpress.md). Default false.
   */
  createBecomesDefault?: boolean;
}

/** One sequence to seed the account with. */
export interface SandboxSeedSequence {
  serie: string;
  /** The account's default (at most one per seed). Default false. */
  default?: boolean;
  /**
   * Its document types: 'registered' (codes; default), 'pending' (relevant types `N/D`),
   * 'partial' (invoice, invoice_receipt and simplified_invoice have codes, the other relevant
   * types `N/D`), 'none' (no current_* fields at all), 'incomplete' (registered, but the invoice
   * type has only its number: no sequence id, no validation code).
   */
  documents?: 'registered' | 'pending' | 'partial' | 'none' | 'incomplete';
  /** A fixed id (default: the next free one). */
  id?: number;
}

/** 'docs': the docs' example "2022" (default, registered); 'empty': no sequences; or a list. */
export type SandboxSeed = 'docs' | 'empty' | SandboxSeedSequence[];

export interface SandboxOptions {
  /** Default 'sandbox-api-key'. */
  apiKey?: string;
  /** Default 'sandbox'. */
  accountName?: string;
  /** Default 0 (any free port). Binds 127.0.0.1 only. */
  port?: number;
  /** What the account starts with (and `reset` returns to): true = 'docs' (default), false = 'empty'. */
  seed?: boolean | SandboxSeed;
  at?: Partial<SandboxAtBehaviour>;
  variants?: SandboxVariants;
  /** Requests per minute allowed before 429 (default: unlimited). */
  rateLimitPerMinute?: number;
  /** Latency added to every answer, ms (default 0). */
  latencyMs?: number;
}

export interface SandboxRequestRecord {
  operation: SandboxOperation | 'unknown';
  method: string;
  /** Path without the query string. */
  path: string;
  status: number | 'hang' | 'dropped';
  at: number;
}

/** Everything the sandbox is set to, and the account's sequences (wire shape, id order). */
export interface SandboxState {
  accountName: string;
  sequences: RawSequence[];
  at: SandboxAtBehaviour;
  variants: SandboxVariants;
  faults: SandboxFaultRule[];
  rateLimitPerMinute: number | null;
  latencyMs: number;
}

export interface Sandbox {
  /** Base URL for the client, e.g. http://127.0.0.1:43123 (no trailing slash). */
  readonly url: string;
  /** The control endpoint's base, `${url}/_sandbox`. */
  readonly controlUrl: string;
  readonly apiKey: string;
  readonly accountName: string;
  /** Every InvoiceXpress request received, in order (control requests are not logged). */
  readonly requests: readonly SandboxRequestRecord[];
  /** Current state, wire shape, in id order. */
  sequences(): RawSequence[];
  /** The whole state: sequences, AT behaviour, variants, faults, rate limit, latency. */
  state(): SandboxState;
  /** Replaces the account's sequences (faults, AT behaviour and the request log stay). Throws SandboxInputError on duplicates. */
  seedAccount(seed: SandboxSeed): void;
  addFault(rule: SandboxFaultRule): void;
  clearFaults(): void;
  /** Changes the given fields only. */
  setAt(behaviour: Partial<SandboxAtBehaviour>): void;
  /** Replaces the variants (fields not given return to the docs' shapes). */
  setVariants(variants: SandboxVariants): void;
  setRateLimit(perMinute: number | undefined): void;
  setLatency(ms: number): void;
  /** Empties the request log. */
  clearRequests(): void;
  /** Back to the seeded state, no faults, request log emptied. */
  reset(): void;
  close(): Promise<void>;
}

/** The sandbox's settings and state, without its address: what the control endpoint drives. */
export type SandboxControls = Omit<Sandbox, 'url' | 'controlUrl' | 'apiKey' | 'accountName' | 'close'>;
