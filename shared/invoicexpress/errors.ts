import type { Refusal } from './refusals.ts';

/**
 * Typed InvoiceXpress failures. Every failure the client can produce is one of these kinds; the
 * HTTP layer maps them to the contract's error table in one place. Messages never carry the API
 * key or a URL with its query string.
 */
export type InvoiceXpressErrorKind =
  | 'unauthorized' // 401: our key is wrong or rotated
  | 'not_found' // 404
  | 'invalid_state' // 406
  | 'serie_exists' // 422 on create: the serie name is taken
  | 'rejected' // 409/422: refused; `refusal` says how (refusals.ts), `messages` holds InvoiceXpress's words
  | 'rate_limited' // 429 that was not (or could not be) waited out; `retryAfterSeconds` when known
  | 'upstream' // 5xx, or another unexpected status
  | 'timeout' // no answer in time (the request may or may not have been acted on)
  | 'network' // connection refused/reset before an answer
  | 'malformed_response'; // an answer we could not parse into the expected shape

/** The InvoiceXpress operations the client makes (the sandbox answers the same ones). */
export const INVOICEXPRESS_OPERATIONS = ['list', 'get', 'create', 'register', 'set_current'] as const;
export type InvoiceXpressOperation = (typeof INVOICEXPRESS_OPERATIONS)[number];

/** Failures that say nothing about the request itself: the same call may well succeed later. */
export const TRANSIENT_KINDS: ReadonlySet<InvoiceXpressErrorKind> = new Set(['timeout', 'network', 'upstream', 'rate_limited']);

export class InvoiceXpressError extends Error {
  override readonly name = 'InvoiceXpressError';
  readonly kind: InvoiceXpressErrorKind;
  readonly operation: InvoiceXpressOperation;
  /** HTTP status InvoiceXpress answered, when it answered. */
  readonly status: number | undefined;
  /** InvoiceXpress's own messages (422 and similar), already free of secrets. */
  readonly messages: readonly string[];
  /** InvoiceXpress's own error codes ("007"), when the answer carried any. */
  readonly codes: readonly string[];
  /** For `rejected`: what the refusal means (one table: refusals.ts). */
  readonly refusal: Refusal | undefined;
  /** Seconds to wait, from Retry-After, for rate_limited. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    kind: InvoiceXpressErrorKind;
    operation: InvoiceXpressOperation;
    message: string;
    status?: number | undefined;
    messages?: readonly string[] | undefined;
    codes?: readonly string[] | undefined;
    refusal?: Refusal | undefined;
    retryAfterSeconds?: number | undefined;
  }) {
    super(init.message);
    this.kind = init.kind;
    this.operation = init.operation;
    this.status = init.status;
    this.messages = init.messages ?? [];
    this.codes = init.codes ?? [];
    this.refusal = init.refusal;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

export function isInvoiceXpressError(error: unknown): error is InvoiceXpressError {
  return error instanceof InvoiceXpressError;
}

/**
 * A write (create, register) that failed this way may still have been applied: no answer
 * (timeout, network), a 5xx after the write, or a 2xx whose body we could not read. Only reading
 * the state can tell.
 */
export function mayHaveBeenApplied(error: InvoiceXpressError): boolean {
  return error.kind === 'timeout' || error.kind === 'network' || error.kind === 'upstream' || error.kind === 'malformed_response';
}
