import { AccountMissingError, AccountRefusedError } from '../accounts/admin-errors.ts';
import { InvalidPageTokenError } from '../accounts/page-token.ts';
import { AccountNotFoundError } from '../accounts/sessions.ts';
import { isInvoiceXpressError } from '../invoicexpress/errors.ts';
import type { InvoiceXpressError } from '../invoicexpress/errors.ts';
import { RolloverInProgressError, RolloverYearError } from '../rollover/errors.ts';
import { DefaultNotRestoredError, RegistrationFailedError, RegistrationInProgressError, SequenceNotRegisteredError } from '../sequences/errors.ts';

/** The error codes of the contract (section 1), plus the service's own 409/500 rows. */
export type ApiErrorCode =
  | 'invalid_request'
  | 'not_found'
  | 'serie_exists'
  | 'invalid_state'
  | 'rollover_in_progress'
  | 'payload_too_large'
  | 'registration_in_progress'
  | 'unsupported_media_type'
  | 'rejected'
  | 'rate_limited'
  | 'upstream_error'
  | 'upstream_timeout'
  | 'internal_error';

export interface ApiErrorDetail {
  /** Where the problem is, e.g. "body.serie" or "path.id"; empty for the whole input. */
  path: string;
  message: string;
}

/** An error the API answers with as is: status, code, message and optional details. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly details: readonly ApiErrorDetail[] | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** The run holding the lock, for rollover_in_progress. */
  readonly runId: string | undefined;

  constructor(
    status: number,
    code: ApiErrorCode,
    message: string,
    options: { details?: readonly ApiErrorDetail[]; headers?: Record<string, string>; runId?: string } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
    this.runId = options.runId;
  }
}

/** When InvoiceXpress gives no Retry-After, callers are told to wait for its per-minute window. */
const DEFAULT_RETRY_AFTER_SECONDS = 60;

/**
 * The one place where failures become API errors. InvoiceXpress's own messages pass through only
 * for 422 (AT's words are what the caller needs); everything else gets a message of ours.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isInvoiceXpressError(error)) return fromInvoiceXpress(error);
  if (error instanceof SequenceNotRegisteredError) {
    return new ApiError(409, 'invalid_state', error.message);
  }
  if (error instanceof RegistrationFailedError) return fromRegistration(error);
  if (error instanceof RolloverInProgressError) {
    return new ApiError(409, 'rollover_in_progress', error.message, { runId: error.holder.runId });
  }
  if (error instanceof DefaultNotRestoredError) return new ApiError(409, 'invalid_state', error.message);
  if (error instanceof RegistrationInProgressError) return new ApiError(409, 'registration_in_progress', error.message);
  if (error instanceof AccountNotFoundError || error instanceof AccountMissingError) return new ApiError(404, 'not_found', error.message);
  if (error instanceof AccountRefusedError) {
    return error.reason === 'default_account' ? new ApiError(409, 'invalid_state', error.message) : new ApiError(422, 'rejected', error.message);
  }
  if (error instanceof InvalidPageTokenError) {
    return new ApiError(400, 'invalid_request', 'The request is not valid', { details: [{ path: 'query.nextToken', message: error.message }] });
  }
  if (error instanceof RolloverYearError) {
    return new ApiError(400, 'invalid_request', 'The request is not valid', { details: [{ path: 'body.year', message: error.message }] });
  }
  return new ApiError(500, 'internal_error', 'The service failed unexpectedly; the request id identifies the log line');
}

/**
 * A registration that did not end registered. After a create with `default: true` the serie
 * exists: 409, whatever AT said. Otherwise AT's refusals are 422 with its words; an unclear answer
 * keeps its own mapping (504/502), and "OK but still pending" is a timeout of AT's.
 */
function fromRegistration(error: RegistrationFailedError): ApiError {
  const { registration } = error;
  const details = registration.messages.map((message) => ({ path: '', message }));
  if (error.outcome !== undefined) return new ApiError(409, 'invalid_state', error.message, { details });
  if (registration.status === 'not_registered' && registration.why === 'unclear') {
    if (registration.error !== undefined) return fromInvoiceXpress(registration.error);
    return new ApiError(504, 'upstream_timeout', `${error.message}; read the sequence again later rather than registering it again`);
  }
  return new ApiError(422, 'rejected', error.message, { details });
}

function fromInvoiceXpress(error: InvoiceXpressError): ApiError {
  const details = error.messages.map((message) => ({ path: '', message }));
  switch (error.kind) {
    case 'not_found':
      return new ApiError(404, 'not_found', 'No such sequence');
    case 'serie_exists':
      return new ApiError(409, 'serie_exists', 'A sequence with this serie already exists', { details });
    case 'invalid_state':
      return new ApiError(409, 'invalid_state', "InvoiceXpress refused the action in the sequence's current state", {
        details,
      });
    case 'rejected':
      return new ApiError(422, 'rejected', 'InvoiceXpress refused the request', { details });
    case 'rate_limited':
      return new ApiError(429, 'rate_limited', 'InvoiceXpress rate limit reached; retry later', {
        headers: { 'retry-after': String(error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS) },
      });
    case 'timeout':
      return new ApiError(504, 'upstream_timeout', 'InvoiceXpress did not answer in time');
    case 'unauthorized':
      // Our key is wrong or revoked: an operator problem, never the caller's.
      return new ApiError(502, 'upstream_error', "InvoiceXpress refused the service's credentials");
    case 'upstream':
    case 'network':
    case 'malformed_response':
      return new ApiError(502, 'upstream_error', 'InvoiceXpress failed or answered unexpectedly');
  }
}
