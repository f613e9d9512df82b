import { isHTTPError, isNetworkError, isTimeoutError } from 'ky';
import type { ApiErrorCode, ApiErrorDetail } from '../shared/http/api-error.ts';
import type { RouteName } from '../shared/http/routes.ts';
import * as z from '../shared/zod.ts';

/** Failures the service's error table never saw: no answer, or an answer outside the contract. */
export type ClientErrorCode =
  /** No answer within the client's timeout. */
  | 'timeout'
  /** The connection failed (DNS, refused, reset). */
  | 'network_error'
  /** An error answer without the contract's body: API Gateway's own (IAM 403, throttling 429, 5xx). */
  | 'gateway_error'
  /** A success answer whose body does not match the route's response schema. */
  | 'unexpected_response';

/**
 * The contract's codes (api-error.ts) and the client's own codes. Open to codes a newer service
 * adds: they reach the caller as sent.
 */
export type IxSequencesErrorCode = ApiErrorCode | ClientErrorCode | (string & Record<never, never>);

export interface IxSequencesErrorInit {
  route: RouteName;
  status: number | undefined;
  code: IxSequencesErrorCode;
  message: string;
  details?: readonly ApiErrorDetail[];
  requestId?: string | undefined;
  retryAfterSeconds?: number | undefined;
  extra?: Record<string, unknown>;
  cause?: unknown;
}

/** Every failure of a client call: the service's error answer, or why there was none. */
export class IxSequencesError extends Error {
  override readonly name = 'IxSequencesError';
  /** The client function (route) that failed, e.g. "getSequence". */
  readonly route: RouteName;
  /** The HTTP status; undefined when no answer came (timeout, network error). */
  readonly status: number | undefined;
  readonly code: IxSequencesErrorCode;
  /** One entry per problem (400) or InvoiceXpress's messages (409, 422); empty when none. */
  readonly details: readonly ApiErrorDetail[];
  /** The service's request id (`x-request-id`), or API Gateway's; quote it when asking for help. */
  readonly requestId: string | undefined;
  /** From `Retry-After` (429, 503): seconds to wait before trying again. */
  readonly retryAfterSeconds: number | undefined;
  /** Fields of the error body beyond code/message/details/requestId, as a newer service sends them. */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(init: IxSequencesErrorInit) {
    super(`${init.route}: ${init.status === undefined ? 'no answer' : String(init.status)} ${init.code}: ${init.message}`, {
      cause: init.cause,
    });
    this.route = init.route;
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? [];
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.extra = init.extra ?? {};
  }
}

/**
 * The contract's error body, read tolerantly (the OpenAPI document describes it strictly): extra
 * fields are kept for `extra`, and a missing requestId falls back to the header.
 */
const ErrorEnvelopeSchema = z.object({
  error: z.looseObject({
    code: z.string().check(z.minLength(1)),
    message: z.string(),
    details: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
    requestId: z.optional(z.string()),
  }),
});

/** API Gateway's own error answers: `{"message": "..."}`, sometimes `Message`. */
const GatewayBodySchema = z.union([z.object({ message: z.string() }), z.object({ Message: z.string() })]);

/** Retry-After as seconds (it may also be an HTTP date); undefined when absent or unreadable. */
export function retryAfterSecondsOf(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

function requestIdOf(headers: Headers): string | undefined {
  return headers.get('x-request-id') ?? headers.get('x-amzn-requestid') ?? undefined;
}

/** An error answer (non-2xx) as the typed error: the contract's body, else a gateway_error. */
function errorFromAnswer(route: RouteName, status: number, headers: Headers, body: unknown): IxSequencesError {
  const common = { route, status, retryAfterSeconds: retryAfterSecondsOf(headers) };
  const envelope = ErrorEnvelopeSchema.safeParse(body);
  if (envelope.success) {
    const { code, message, details, requestId, ...extra } = envelope.data.error;
    return new IxSequencesError({ ...common, code, message, details, requestId: requestId ?? requestIdOf(headers), extra });
  }
  const gateway = GatewayBodySchema.safeParse(body);
  const text = gateway.success ? ('message' in gateway.data ? gateway.data.message : gateway.data.Message) : undefined;
  const errorType = headers.get('x-amzn-errortype')?.split(':')[0];
  return new IxSequencesError({
    ...common,
    code: 'gateway_error',
    message: [errorType, text].filter(Boolean).join(': ') || `HTTP ${String(status)} without the service's error body`,
    requestId: requestIdOf(headers),
  });
}

/**
 * What a call threw (ky's HTTP, timeout and network errors) as the typed error; undefined for
 * anything else (the caller's own abort, a programming error), which passes through unchanged.
 */
export function toIxSequencesError(route: RouteName, error: unknown): IxSequencesError | undefined {
  if (error instanceof IxSequencesError) return error;
  if (isHTTPError(error)) return errorFromAnswer(route, error.response.status, error.response.headers, error.data);
  if (isTimeoutError(error)) {
    return new IxSequencesError({ route, status: undefined, code: 'timeout', message: 'no answer in time', cause: error });
  }
  if (isNetworkError(error)) {
    const reason = error.cause instanceof Error && error.cause.cause instanceof Error ? error.cause.cause.message : '';
    return new IxSequencesError({
      route,
      status: undefined,
      code: 'network_error',
      message: `the API could not be reached${reason ? ` (${reason})` : ''}`,
      cause: error,
    });
  }
  return undefined;
}
