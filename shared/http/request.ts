import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type * as z from '../zod.ts';
import { ANSWER_MARGIN_MS, API_GATEWAY_LIMIT_MS, Deadline } from '../runtime/deadline.ts';
import { issuePath } from '../zod-issues.ts';
import { accountScoped, isAccountResource } from './account-scope.ts';
import { ApiError } from './api-error.ts';
import type { ApiErrorDetail } from './api-error.ts';
import type { RouteSpec } from './route-spec.ts';
import { cut } from './response.ts';

/**
 * A request as the route sees it: path parameters (decoded) and the JSON body parsed with the
 * route's zod schemas (400 invalid_request with one detail per problem, 415 for a body that is not
 * JSON), the deadline and the caller.
 */

/** API Gateway REST proxy events as they really come: most fields can be null or absent. */
export type ApiGatewayEvent = Partial<APIGatewayProxyEvent>;

function headerOf(event: ApiGatewayEvent, name: string): string | undefined {
  const headers = event.headers;
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

const MAX_NAMED_KEYS = 10;
const MAX_KEY_CHARS = 16;

/** Up to MAX_NAMED_KEYS unknown keys by name (each cut short), then how many more. */
function unknownFieldsMessage(keys: readonly string[]): string {
  const named = keys
    .slice(0, MAX_NAMED_KEYS)
    .map((key) => cut(key, MAX_KEY_CHARS))
    .join(', ');
  const more = keys.length > MAX_NAMED_KEYS ? ` and ${String(keys.length - MAX_NAMED_KEYS)} more` : '';
  return `unknown field(s): ${named}${more}`;
}

function detailsOf(error: z.core.$ZodError, prefix: 'path' | 'body' | 'query'): ApiErrorDetail[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { path: issuePath(issue, { prefix }), message: unknownFieldsMessage(issue.keys) };
    }
    return { path: issuePath(issue, { prefix }), message: issue.message };
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

export interface ParsedRequest<Params, Body, Query = unknown> {
  params: Params;
  body: Body;
  /** The parsed query string (routes that declare `query`). */
  query: Query;
  /** The registered account of a `/accounts/{account}/…` request; undefined: the default account. */
  account: string | undefined;
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

export function requestContextOf(event: ApiGatewayEvent, context: Partial<Context> | undefined): Omit<RequestContext, 'requestId'> {
  const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : DEFAULT_REMAINING_MS;
  const identity = event.requestContext?.identity;
  const caller = identity?.userArn ?? identity?.caller ?? identity?.accountId ?? 'unknown';
  return {
    deadline: Deadline.fromRemaining(remaining, { marginMs: ANSWER_MARGIN_MS, capMs: API_GATEWAY_LIMIT_MS }),
    caller,
  };
}

/** The query string's parameters, each decoded when it is still percent-encoded. */
function queryParameters(event: ApiGatewayEvent): Record<string, string> {
  const raw = event.queryStringParameters;
  if (!raw || typeof raw !== 'object') return {};
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string') continue;
    try {
      values[name] = decodeURIComponent(value);
    } catch {
      values[name] = value;
    }
  }
  return values;
}

function parseRequest<Params extends z.ZodMiniType, Body extends z.ZodMiniType, Response, Query extends z.ZodMiniType = z.ZodMiniType>(
  route: RouteSpec<Params, Body, Response, Query>,
  event: ApiGatewayEvent,
): ParsedRequest<z.output<Params>, z.output<Body>, z.output<Query>> {
  const details: ApiErrorDetail[] = [];
  let query: unknown;
  if (route.query) {
    const result = route.query.safeParse(queryParameters(event));
    if (result.success) query = result.data;
    else details.push(...detailsOf(result.error, 'query'));
  }
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
  return { params: params as z.output<Params>, body: body as z.output<Body>, query: query as z.output<Query>, account: undefined };
}

/**
 * Parses a request for `route` or for its account version (the same function serves both: the
 * event's resource says which); the account comes out of the path parameters into `account`.
 */
export function parseRoutedRequest<Params extends z.ZodMiniType, Body extends z.ZodMiniType, Response, Query extends z.ZodMiniType = z.ZodMiniType>(
  route: RouteSpec<Params, Body, Response, Query>,
  event: ApiGatewayEvent,
): ParsedRequest<z.output<Params>, z.output<Body>, z.output<Query>> {
  if (!isAccountResource(event.resource)) return parseRequest(route, event);
  const parsed = parseRequest(accountScoped(route) as RouteSpec, event);
  const { account, ...params } = parsed.params as { account: string } & Record<string, unknown>;
  return {
    params: (route.params === undefined ? undefined : params) as z.output<Params>,
    body: parsed.body as z.output<Body>,
    query: parsed.query as z.output<Query>,
    account,
  };
}
