import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { listenOnLoopback } from '../sandbox/loopback.ts';
import type { ApiErrorCode } from '../shared/http/api-error.ts';
import { routes } from '../shared/http/routes.ts';
import type { RouteName } from '../shared/http/routes.ts';
import type { RouteSpec } from '../shared/http/route-spec.ts';
import { apiGatewayEvent, lambdaContext } from './api-gateway-event.ts';

/**
 * A local stand-in for API Gateway (REST, proxy integration): matches the route table, builds the
 * event API Gateway would send and invokes the function module in-process. No IAM here: locally
 * the gateway listens on loopback only.
 */

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
export type HandlerLoader = (route: RouteSpec) => Promise<ApiHandler>;

/** Imports functions/<entry>.ts and returns its `handler`, once per route. */
export function moduleLoader(): HandlerLoader {
  const cache = new Map<string, Promise<ApiHandler>>();
  return (route) => {
    let loaded = cache.get(route.entry);
    if (!loaded) {
      loaded = import(`../functions/${route.entry}.ts`).then((module: { handler: ApiHandler }) => module.handler);
      cache.set(route.entry, loaded);
    }
    return loaded;
  };
}

interface Match {
  name: RouteName;
  route: RouteSpec;
  pathParameters: Record<string, string> | null;
}

const matchers = (Object.entries(routes) as [RouteName, RouteSpec][]).map(([name, route]) => {
  const names: string[] = [];
  const pattern = route.path.replace(/\{(\w+)\}/g, (_, param: string) => {
    names.push(param);
    return '([^/]+)';
  });
  return { name, route, names, regex: new RegExp(`^${pattern}$`) };
});

function matchRoute(method: string, path: string): Match | undefined {
  // API Gateway treats /sequences/ like /sequences.
  const normalized = path.length > 1 ? path.replace(/\/+$/, '') : path;
  for (const matcher of matchers) {
    if (matcher.route.method !== method) continue;
    const found = matcher.regex.exec(normalized);
    if (!found) continue;
    // As a REST API does: path parameters still percent-encoded (the handlers decode them).
    const pathParameters = Object.fromEntries(matcher.names.map((param, index) => [param, found[index + 1] ?? '']));
    return { name: matcher.name, route: matcher.route, pathParameters: matcher.names.length > 0 ? pathParameters : null };
  }
  return undefined;
}

/** API Gateway's payload limit (REST APIs): a larger request body is refused with 413. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

/**
 * The body, or undefined when it is over MAX_REQUEST_BODY_BYTES: refused from its content-length
 * before reading any of it, else as soon as the bytes that arrived pass the limit. Only bodies
 * within the limit are ever buffered.
 */
function readBoundedBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_REQUEST_BODY_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > MAX_REQUEST_BODY_BYTES) {
        request.off('data', onData);
        request.pause();
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** An answer of the gateway's own, in the contract's error shape. */
function answerError(response: ServerResponse, status: number, code: ApiErrorCode, message: string, headers: Record<string, string> = {}): void {
  const requestId = randomUUID();
  response.writeHead(status, { ...headers, 'content-type': JSON_CONTENT_TYPE, 'x-request-id': requestId });
  response.end(JSON.stringify({ error: { code, message, requestId } }));
}

function isTextual(contentType: string | undefined): boolean {
  return contentType === undefined || /json|text|xml|urlencoded/i.test(contentType);
}

/** The API Gateway REST proxy event of one HTTP request, as API Gateway builds it. */
function eventOf(request: IncomingMessage, url: URL, match: NonNullable<ReturnType<typeof matchRoute>>, body: Buffer): APIGatewayProxyEvent {
  const textual = isTextual(request.headers['content-type']);
  const query: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) (query[key] ??= []).push(value);
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(request.headers)) if (value !== undefined) headers[key] = value;
  return apiGatewayEvent({
    method: request.method ?? 'GET',
    path: url.pathname,
    resource: match.route.path,
    pathParameters: match.pathParameters,
    query,
    headers,
    // API Gateway passes binary bodies base64-encoded; text as is.
    body: body.length === 0 ? null : textual ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !textual,
  });
}

export interface LocalGateway {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

export async function startLocalGateway(options: {
  load?: HandlerLoader;
  port?: number;
  /** Extra GET documents served as is, e.g. { '/openapi.json': () => text }. */
  documents?: Record<string, () => string>;
}): Promise<LocalGateway> {
  const load = options.load ?? moduleLoader();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://local.invalid');
    const method = request.method ?? 'GET';
    const document = options.documents?.[url.pathname];
    if (method === 'GET' && document) {
      response.writeHead(200, { 'content-type': JSON_CONTENT_TYPE, 'x-request-id': randomUUID() });
      response.end(document());
      return;
    }
    const body = await readBoundedBody(request);
    if (body === undefined) {
      // Stop reading: answer, then drop the connection rather than take in the rest.
      response.once('finish', () => request.socket.destroy());
      answerError(response, 413, 'payload_too_large', `The request body is over API Gateway's limit of ${String(MAX_REQUEST_BODY_BYTES)} bytes`, {
        connection: 'close',
      });
      return;
    }
    const match = matchRoute(method, url.pathname);
    if (!match) {
      answerError(response, 404, 'not_found', `No route ${method} ${url.pathname}`);
      return;
    }
    const event = eventOf(request, url, match, body);
    const handler = await load(match.route);
    const result = await handler(event, lambdaContext(`ix-sequences-local-${match.route.entry}`));
    const resultHeaders: Record<string, string> = {};
    for (const [key, value] of Object.entries(result.headers ?? {})) resultHeaders[key] = String(value);
    response.writeHead(result.statusCode, resultHeaders);
    response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      // Like API Gateway when the integration fails: a 502 without internals.
      if (!response.headersSent) response.writeHead(502, { 'content-type': JSON_CONTENT_TYPE, 'x-request-id': randomUUID() });
      response.end(JSON.stringify({ message: 'Internal server error' }));
    });
  });
  const url = await listenOnLoopback(server, options.port);
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
