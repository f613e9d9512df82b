import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type * as z from '../zod.ts';
import { isInvoiceXpressError } from '../invoicexpress/errors.ts';
import { ANSWER_MARGIN_MS, API_GATEWAY_LIMIT_MS, Deadline } from '../runtime/deadline.ts';
import { logger } from '../runtime/logger.ts';
import { ApiError, toApiError } from './api-error.ts';
import type { ApiErrorDetail } from './api-error.ts';
import type { RouteSpec } from './route-spec.ts';

/**
 * The one HTTP stack every API function uses:
 * - `httpContract` (middy middleware): request id, JSON content type and `x-request-id` on every
 *   answer, the error table applied once, one log line per request;
 * - `parseRequest`: path parameters and JSON body parsed with the route's zod schemas
 *   (400 invalid_request with one detail per problem, 415 for a body that is not JSON).
 */

/** API Gateway REST proxy events as they really come: most fields can be null or absent. */
export type ApiGatewayEvent = Partial<APIGatewayProxyEvent>;

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

interface RequestState extends Record<string, unknown> {
  requestId: string;
  startedAt: number;
}

function requestIdOf(event: ApiGatewayEvent): string {
  const fromGateway = event.requestContext?.requestId;
  return typeof fromGateway === 'string' && fromGateway.length > 0 ? fromGateway : randomUUID();
}

function headerOf(event: ApiGatewayEvent, name: string): string | undefined {
  const headers = event.headers;
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { ...headers, 'content-type': JSON_CONTENT_TYPE }, body: JSON.stringify(body) };
}

/**
 * Error bodies are bounded whatever the input (a huge body must not answer a huge error: Lambda's
 * 6 MB response limit, log volume): at most MAX_DETAILS details, each path and message cut to
 * a fixed length, and the whole body at most MAX_ERROR_BODY_BYTES.
 */
export const MAX_ERROR_BODY_BYTES = 8192;
export const MAX_DETAILS = 20;
const MAX_MESSAGE_CHARS = 300;
const MAX_DETAIL_PATH_CHARS = 100;
const MAX_DETAIL_MESSAGE_CHARS = 250;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function errorBodyOf(error: ApiError, details: readonly ApiErrorDetail[], requestId: string): string {
  return JSON.stringify({
    error: {
      code: error.code,
      message: cut(error.message, MAX_MESSAGE_CHARS),
      ...(details.length > 0 ? { details } : {}),
      ...(error.runId === undefined ? {} : { runId: error.runId }),
      requestId,
    },
  });
}

/** The first details that fit, the last one saying how many more there were. */
function boundedErrorBody(error: ApiError, requestId: string): string {
  const all = error.details ?? [];
  const cutDetails = (count: number): ApiErrorDetail[] => {
    const kept = all.slice(0, count).map((detail) => ({
      path: cut(detail.path, MAX_DETAIL_PATH_CHARS),
      message: cut(detail.message, MAX_DETAIL_MESSAGE_CHARS),
    }));
    return count < all.length ? [...kept, { path: '', message: `and ${String(all.length - count)} more` }] : kept;
  };
  let count = all.length <= MAX_DETAILS ? all.length : MAX_DETAILS - 1;
  let body = errorBodyOf(error, cutDetails(count), requestId);
  // Escaped or multi-byte text can still be too long: drop details from the end until it fits.
  while (Buffer.byteLength(body) > MAX_ERROR_BODY_BYTES && count > 0) {
    count -= 1;
    body = errorBodyOf(error, cutDetails(count), requestId);
  }
  return body;
}

function errorResponse(error: ApiError, requestId: string): APIGatewayProxyResult {
  return {
    statusCode: error.status,
    headers: { ...error.headers, 'content-type': JSON_CONTENT_TYPE },
    body: boundedErrorBody(error, requestId),
  };
}

/** Per invocation (keyed by the Lambda context): the request id the answer carries, and when it started. */
const state = new WeakMap<object, RequestState>();

function httpContract(operationId: string): MiddlewareObj<ApiGatewayEvent, APIGatewayProxyResult> {
  const stateOf = (context: object): RequestState =>
    state.get(context) ?? { requestId: 'unknown', startedAt: Date.now() };

  const finish = (context: object, event: ApiGatewayEvent, response: APIGatewayProxyResult, failure?: unknown) => {
    const { requestId, startedAt } = stateOf(context);
    response.headers = { ...response.headers, 'x-request-id': requestId };
    const line = {
      route: operationId,
      method: typeof event.httpMethod === 'string' ? event.httpMethod : undefined,
      status: response.statusCode,
      durationMs: Date.now() - startedAt,
      requestId,
      // Only our own words: kind/status of InvoiceXpress failures, the class of anything else.
      ...(isInvoiceXpressError(failure)
        ? { upstream: { kind: failure.kind, status: failure.status, operation: failure.operation } }
        : failure instanceof ApiError || failure === undefined
          ? {}
          : { failure: failure instanceof Error ? failure.name : typeof failure }),
    };
    if (response.statusCode >= 500) logger.error('request', line);
    else logger.info('request', line);
  };

  return {
    before: (request) => {
      state.set(request.context, { requestId: requestIdOf(request.event ?? {}), startedAt: Date.now() });
    },
    after: (request) => {
      if (request.response) finish(request.context, request.event ?? {}, request.response);
    },
    onError: (request) => {
      const { requestId } = stateOf(request.context);
      request.response = errorResponse(toApiError(request.error), requestId);
      finish(request.context, request.event ?? {}, request.response, request.error);
    },
  };
}

const MAX_NAMED_KEYS = 10;
const MAX_KEY_CHARS = 16;

/** Up to MAX_NAMED_KEYS unknown keys by name (each cut short), then how many more. */
function unknownFieldsMessage(keys: readonly string[]): string {
  const named = keys.slice(0, MAX_NAMED_KEYS).map((key) => cut(key, MAX_KEY_CHARS)).join(', ');
  const more = keys.length > MAX_NAMED_KEYS ? ` and ${String(keys.length - MAX_NAMED_KEYS)} more` : '';
  return `unknown field(s): ${named}${more}`;
}

function detailsOf(error: z.core.$ZodError, prefix: 'path' | 'body'): ApiErrorDetail[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { path: [prefix, ...issue.path].join('.'), message: unknownFieldsMessage(issue.keys) };
    }
    return { path: [prefix, ...issue.path.map(String)].join('.'), message: issue.message };
  });
}

function invalid(details: ApiErrorDetail[]): ApiError {
  return new ApiError(400, 'invalid_request', 'The request is not valid', { details });
}

/** The body as text, decoded when API Gateway marked it base64; undefined when there is none. */
function rawBodyOf(event: ApiGatewayEvent): string | undefined {
  if (typeof event.body !== 'string' || event.body.length === 0) return undefined;
  return event.isBase64Encoded === true ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const mediaType = value.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

/**
 * API Gateway REST APIs pass path parameters as the caller sent them, still percent-encoded: each
 * is decoded here, and a malformed escape (`%zz`, a cut-off UTF-8 sequence) is the caller's error.
 */
function decodedPathParameters(event: ApiGatewayEvent): { values: Record<string, string>; problems: ApiErrorDetail[] } {
  const values: Record<string, string> = {};
  const problems: ApiErrorDetail[] = [];
  const raw = event.pathParameters;
  if (!raw || typeof raw !== 'object') return { values, problems };
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string') continue;
    try {
      values[name] = decodeURIComponent(value);
    } catch {
      problems.push({ path: `path.${name}`, message: 'malformed percent-escape' });
    }
  }
  return { values, problems };
}

export interface ParsedRequest<Params, Body> {
  params: Params;
  body: Body;
}

/** What a route's work gets besides its input: when it must be done, and who asked. */
export interface RequestContext {
  /** Every InvoiceXpress call ends by then: the service answers before Lambda or API Gateway cut it off. */
  deadline: Deadline;
  /** The IAM principal that signed the request (API Gateway's identity), for the record. */
  caller: string;
  /** The answer's x-request-id: the origin of the events the request makes (evt_<requestId>_<n>). */
  requestId: string;
}

/** A function that was never given a Lambda context (a script) gets the API functions' limit. */
const DEFAULT_REMAINING_MS = 28_000;

function requestContextOf(event: ApiGatewayEvent, context: Partial<Context> | undefined): Omit<RequestContext, 'requestId'> {
  const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : DEFAULT_REMAINING_MS;
  const identity = event.requestContext?.identity;
  const caller = identity?.userArn ?? identity?.caller ?? identity?.accountId ?? 'unknown';
  return {
    deadline: Deadline.fromRemaining(remaining, { marginMs: ANSWER_MARGIN_MS, capMs: API_GATEWAY_LIMIT_MS }),
    caller,
  };
}

export function parseRequest<Params extends z.ZodMiniType, Body extends z.ZodMiniType, Response>(
  route: RouteSpec<Params, Body, Response>,
  event: ApiGatewayEvent,
): ParsedRequest<z.output<Params>, z.output<Body>> {
  const details: ApiErrorDetail[] = [];
  let params: unknown;
  if (route.params) {
    const decoded = decodedPathParameters(event);
    if (decoded.problems.length > 0) details.push(...decoded.problems);
    else {
      const result = route.params.safeParse(decoded.values);
      if (result.success) params = result.data;
      else details.push(...detailsOf(result.error, 'path'));
    }
  }

  let body: unknown;
  const raw = rawBodyOf(event);
  if (raw !== undefined && raw.trim().length > 0) {
    if (!isJsonContentType(headerOf(event, 'content-type'))) {
      throw new ApiError(415, 'unsupported_media_type', 'The body must be JSON (content-type: application/json)');
    }
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      details.push({ path: 'body', message: 'malformed JSON' });
      throw invalid(details);
    }
  }
  if (route.body) {
    const result = route.body.safeParse(body);
    if (result.success) body = result.data;
    else details.push(...detailsOf(result.error, 'body'));
  } else if (body !== undefined) {
    details.push({ path: 'body', message: 'this route takes no body' });
  }

  if (details.length > 0) throw invalid(details);
  return { params: params as z.output<Params>, body: body as z.output<Body> };
}

export type RouteWork<Params extends z.ZodMiniType, Body extends z.ZodMiniType, Response> = (
  request: ParsedRequest<z.output<Params>, z.output<Body>> & RequestContext,
) => Promise<Response>;

/** A Lambda handler for one route: parse → work → the route's success status and JSON. */
export function createHttpHandler<Params extends z.ZodMiniType, Body extends z.ZodMiniType, Response>(
  route: RouteSpec<Params, Body, Response>,
  work: RouteWork<Params, Body, Response>,
) {
  return middy<ApiGatewayEvent, APIGatewayProxyResult>()
    .use(httpContract(route.operationId))
    .handler(async (event, context) => {
      const request = { ...parseRequest(route, event ?? {}), ...requestContextOf(event ?? {}, context), requestId: state.get(context)?.requestId ?? requestIdOf(event ?? {}) };
      return jsonResponse(route.successStatus, await work(request));
    });
}
