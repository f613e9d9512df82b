import ky, { isHTTPError } from 'ky';
import type { KyInstance, ShouldRetryState } from 'ky';
import { routeResponses } from '../shared/http/response-schemas.ts';
import type { RouteSpec } from '../shared/http/route-spec.ts';
import { routes } from '../shared/http/routes.ts';
import type { RouteName } from '../shared/http/routes.ts';
import type * as z from '../shared/zod.ts';
import { IxSequencesError, retryAfterSecondsOf, toIxSequencesError } from './errors.ts';
import { createSigner, signingFetch, signingRegion } from './signing.ts';
import type { Credentials } from './signing.ts';

/**
 * A typed, SigV4-signing client of the ix-sequences API, one function per route of the route table
 * (shared/http/routes.ts): a route added there is a function here, typed from the same zod schemas
 * the service parses with. Success bodies are checked against the route's response schema.
 */

export interface IxSequencesClientOptions {
  /** The API's base URL: the stack's ApiUrl output (…/v1/), or `npm start`'s http://127.0.0.1:3000. */
  baseUrl: string;
  /** Signing region. Default: the region in an execute-api URL, else AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
  /** Default: the AWS SDK's default credential chain. */
  credentials?: Credentials;
  /** Per attempt, in ms (default 30 000: API Gateway itself gives up after 29 s). */
  timeoutMs?: number;
  /** Re-sends of GET, PUT and DELETE calls after a network error, 429, 502, 503 or 504 (default 2). POSTs: never. */
  retries?: number;
  /** The longest Retry-After waited for inside a call (default 10 000 ms); a longer one ends the call. */
  maxRetryAfterMs?: number;
  /** The fetch that sends the signed requests (default: the global fetch). */
  fetch?: typeof fetch;
}

export interface CallOptions {
  /** Aborts the call (the AbortError passes through as is). */
  signal?: AbortSignal;
  /** Per attempt, overriding the client's. */
  timeoutMs?: number;
}

type Empty = Record<never, never>;
type RouteOf<N extends RouteName> = (typeof routes)[N];
type SchemaInput<S> = S extends z.ZodMiniType ? NonNullable<z.input<S>> : never;

/** A route without params or body has the unconstrained schema type, whose input is unknown. */
type PathInput<P> = unknown extends SchemaInput<P> ? Empty : { [K in keyof SchemaInput<P>]: string | number };
type BodyInput<B> = unknown extends SchemaInput<B> ? Empty : SchemaInput<B> extends Record<string, never> ? Empty : SchemaInput<B>;

/** Query parameters; a free-form string one also takes a number (`limit: 20`). */
type QueryInput<Q> =
  unknown extends SchemaInput<Q> ? Empty : { [K in keyof SchemaInput<Q>]: string extends SchemaInput<Q>[K] ? SchemaInput<Q>[K] | number : SchemaInput<Q>[K] };

/** A body field named like a path parameter could not be told apart from it: no function then. */
type Merge<P, B> = [keyof P & keyof B] extends [never] ? { [K in keyof (P & B)]: (P & B)[K] } : never;

/** A route's input: its path parameters and body fields in one object, e.g. `{ id }`, `{ serie }`. */
export type RouteInput<N extends RouteName> =
  RouteOf<N> extends RouteSpec<infer P, infer B, unknown, infer Q> ? Merge<PathInput<P>, BodyInput<B> & QueryInput<Q>> : never;
/** A route's success body: the `Response` type the route table gives it. */
export type RouteResult<N extends RouteName> = RouteOf<N> extends RouteSpec<z.ZodMiniType, z.ZodMiniType, infer R> ? R : never;

type Args<I> = [keyof I] extends [never] ? [options?: CallOptions] : Empty extends I ? [input?: I, options?: CallOptions] : [input: I, options?: CallOptions];

export type IxSequencesClient = {
  readonly [N in RouteName]: (...args: Args<RouteInput<N>>) => Promise<RouteResult<N>>;
};

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 2;
const DEFAULT_MAX_RETRY_AFTER_MS = 10_000;

export function createIxSequencesClient(options: IxSequencesClientOptions): IxSequencesClient {
  const baseUrl = absoluteUrl(options.baseUrl);
  const signer = createSigner(signingRegion(baseUrl, options.region), options.credentials);
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const http = ky.create({
    prefix: baseUrl.href,
    headers: { accept: 'application/json' },
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    fetch: signingFetch(signer, options.fetch),
    retry: {
      limit: options.retries ?? DEFAULT_RETRIES,
      // GET reads; the PUTs and DELETE are safe to repeat. A POST may have been applied: never re-sent.
      methods: ['get', 'put', 'delete'],
      statusCodes: [429, 502, 503, 504],
      afterStatusCodes: [429, 503],
      jitter: true,
      shouldRetry: refuseLongWaits(maxRetryAfterMs),
    },
  });

  const entries = (Object.keys(routes) as RouteName[]).map((name) => [name, (...args: unknown[]) => call(http, name, args)]);
  return Object.fromEntries(entries) as IxSequencesClient;
}

/** ky would cut a long Retry-After short and retry early; an early retry only meets the same limit. */
function refuseLongWaits(maxRetryAfterMs: number) {
  return ({ error }: ShouldRetryState): false | undefined => {
    if (!isHTTPError(error)) return undefined;
    const seconds = retryAfterSecondsOf(error.response.headers);
    return seconds !== undefined && seconds * 1000 > maxRetryAfterMs ? false : undefined;
  };
}

function absoluteUrl(value: string | undefined): URL {
  if (typeof value === 'string' && URL.canParse(value)) return new URL(value);
  throw new TypeError(`ix-sequences client: baseUrl must be an absolute URL (the stack's ApiUrl output); got ${String(value)}`);
}

/** `{ id: 5, … }` on /sequences/{id}/register → the path, and the fields left over for the body. */
function splitInput(path: string, input: Record<string, unknown>): { path: string; rest: Record<string, unknown> } {
  const rest = { ...input };
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = rest[name];
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new TypeError(`ix-sequences client: path parameter "${name}" is required`);
    }
    delete rest[name];
    return encodeURIComponent(String(value));
  });
  return { path: filled, rest };
}

async function call(http: KyInstance, name: RouteName, args: unknown[]): Promise<unknown> {
  const route: RouteSpec = routes[name];
  const takesInput = route.params !== undefined || route.body !== undefined || route.query !== undefined;
  const input = (takesInput ? args[0] : undefined) ?? {};
  const callOptions = (takesInput ? args[1] : args[0]) as CallOptions | undefined;
  const { path, rest } = splitInput(route.path, input as Record<string, unknown>);
  // A route whose body is optional gets none when no field is left (register, set_current).
  const sendsBody = route.body !== undefined && (Object.keys(rest).length > 0 || !route.body.safeParse(undefined).success);

  const searchParams = route.query === undefined ? undefined : queryOf(rest);
  const answer = http(path.replace(/^\//, ''), {
    method: route.method,
    ...(sendsBody ? { json: rest } : {}),
    ...(searchParams === undefined ? {} : { searchParams }),
    ...(callOptions?.signal ? { signal: callOptions.signal } : {}),
    ...(callOptions?.timeoutMs !== undefined ? { timeout: callOptions.timeoutMs } : {}),
  });
  let text: string;
  let response: Response;
  try {
    text = await answer.text();
    response = await answer;
  } catch (error) {
    throw toIxSequencesError(name, error) ?? error;
  }
  return parseSuccess(name, response, text);
}

/** A query route's fields that are set, as query parameters. */
function queryOf(input: Record<string, unknown>): URLSearchParams {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(input)) {
    if (typeof value === 'string' || typeof value === 'number') query.set(name, String(value));
  }
  return query;
}

function parseSuccess(name: RouteName, response: Response, text: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const checked = routeResponses[name].schema.safeParse(json);
  if (checked.success) return checked.data;
  throw new IxSequencesError({
    route: name,
    status: response.status,
    code: 'unexpected_response',
    message: json === undefined ? 'the answer is not JSON' : "the answer does not match the route's response schema",
    requestId: response.headers.get('x-request-id') ?? undefined,
  });
}
