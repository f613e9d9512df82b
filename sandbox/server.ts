import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTROL_PREFIX, handleControl, isControlPath } from './control.ts';
import { listenOnLoopback, readBody } from './loopback.ts';
import { operate } from './operations.ts';
import type { OperationRequest } from './operations.ts';
import { SandboxSettings } from './settings.ts';
import type { Sandbox, SandboxControls, SandboxFault, SandboxOperation, SandboxOptions, SandboxRequestRecord } from './types.ts';
import { errors } from './wire.ts';
import type { Answer } from './wire.ts';

/**
 * A stateful InvoiceXpress stand-in on loopback. It speaks the API's paths and shapes for the five
 * sequence operations (see ../shared/reference), checks `api_key`, and injects faults on demand.
 * Order of checks per request: route → api_key (401) → rate limit (429) → faults → operation.
 * Paths under /_sandbox are its control endpoint instead (sandbox/control.ts): no key, no log.
 */

interface Route {
  operation: SandboxOperation;
  id?: number;
}

function routeOf(method: string, path: string): Route | undefined {
  if (path === '/sequences.json') {
    if (method === 'GET') return { operation: 'list' };
    if (method === 'POST') return { operation: 'create' };
    return undefined;
  }
  const match = /^\/sequences\/(\d+)(\/register|\/set_current)?\.json$/.exec(path);
  if (!match?.[1]) return undefined;
  const id = Number(match[1]);
  if (match[2] === undefined) return method === 'GET' ? { operation: 'get', id } : undefined;
  if (method !== 'PUT') return undefined;
  return { operation: match[2] === '/register' ? 'register' : 'set_current', id };
}

/** Every key a sandbox of this process accepts: what a log scan must never find. */
const keysInUse = new Set<string>();
export function sandboxApiKeys(): readonly string[] {
  return [...keysInUse];
}

function send(response: ServerResponse, answer: Answer): void {
  response.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  response.end(answer.body);
}

interface Upstream {
  settings: SandboxSettings;
  apiKey: string;
  /** Aborted when the sandbox closes: no delay outlives it. */
  signal: AbortSignal;
}

async function handleInvoiceXpress(upstream: Upstream, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { settings, apiKey, signal } = upstream;
  const arrivedAt = Date.now();
  const url = new URL(request.url ?? '/', 'http://sandbox.invalid');
  const method = request.method ?? 'GET';
  const route = routeOf(method, url.pathname);
  const record: SandboxRequestRecord = { operation: route?.operation ?? 'unknown', method, path: url.pathname, status: 0, at: arrivedAt };
  settings.requests.push(record);
  const body = (await readBody(request)).toString('utf8');

  const answer = async (result: Answer): Promise<void> => {
    if (settings.latencyMs > 0) await sleep(settings.latencyMs, undefined, { signal });
    record.status = result.status;
    send(response, result);
  };

  // An unknown route answers an HTML page, as the live API does.
  if (!route) return answer({ status: 404, body: '<html><body>Not Found</body></html>', headers: { 'content-type': 'text/html' } });
  if (url.searchParams.get('api_key') !== apiKey) return answer(errors(401, 'Access denied'));
  if (settings.rateLimited(arrivedAt)) return answer(errors(429, 'Too many requests'));

  const operation: OperationRequest = { operation: route.operation, id: route.id, query: url.searchParams, body };
  const act = async (): Promise<Answer> => {
    // Registration takes this long; what it does is decided when it ends.
    if (route.operation === 'register' && settings.at.registerDelayMs > 0) await sleep(settings.at.registerDelayMs, undefined, { signal });
    return operate(settings.context(Date.now()), operation);
  };
  const fault = settings.takeFault(route.operation);
  if (fault === undefined) return answer(await act());
  return applyFault(fault, { act, answer, record, request, signal });
}

async function applyFault(
  fault: SandboxFault,
  on: {
    act: () => Promise<Answer>;
    answer: (result: Answer) => Promise<void>;
    record: SandboxRequestRecord;
    request: IncomingMessage;
    signal: AbortSignal;
  },
): Promise<void> {
  switch (fault.kind) {
    case 'latency':
      await sleep(fault.ms, undefined, { signal: on.signal });
      return on.answer(await on.act());
    case 'status': {
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      const body = fault.body ?? JSON.stringify({ errors: [{ error: `Sandbox fault: status ${String(fault.status)}` }] });
      return on.answer({ status: fault.status, body, headers });
    }
    case 'hang':
      on.record.status = 'hang';
      return; // the socket stays open until the client gives up or the sandbox closes
    case 'drop_response':
      await on.act();
      on.record.status = 'dropped';
      on.request.socket.destroy();
      return;
    case 'malformed':
      return on.answer({ status: 200, body: fault.body, headers: { 'content-type': 'application/json; charset=utf-8' } });
  }
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const apiKey = options.apiKey ?? 'sandbox-api-key';
  keysInUse.add(apiKey);
  const accountName = options.accountName ?? 'sandbox';
  const settings = new SandboxSettings(options, accountName);
  const closing = new AbortController();
  const sockets = new Set<Socket>();
  const upstream: Upstream = { settings, apiKey, signal: closing.signal };
  // What the control endpoint drives: the same methods a test calls.
  const controls: SandboxControls = {
    requests: settings.requests,
    sequences: () => settings.sequences(),
    state: () => settings.state(),
    seedAccount: (seed) => settings.seedAccount(seed),
    addFault: (rule) => settings.addFault(rule),
    clearFaults: () => settings.clearFaults(),
    setAt: (behaviour) => settings.setAt(behaviour),
    setVariants: (variants) => settings.setVariants(variants),
    setRateLimit: (perMinute) => settings.setRateLimit(perMinute),
    setLatency: (ms) => settings.setLatency(ms),
    clearRequests: () => settings.clearRequests(),
    reset: () => settings.reset(),
  };

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://sandbox.invalid').pathname;
    const work = isControlPath(path) ? handleControl(controls, request, response) : handleInvoiceXpress(upstream, request, response);
    work.catch(() => {
      if (!response.headersSent) send(response, errors(500, 'Sandbox internal error'));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const url = await listenOnLoopback(server, options.port);

  const sandbox: Sandbox = {
    ...controls,
    url,
    controlUrl: `${url}${CONTROL_PREFIX}`,
    apiKey,
    accountName,
    close: async () => {
      closing.abort();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return sandbox;
}
