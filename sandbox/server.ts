import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { accountControls, accountsApi, SandboxAccounts } from './accounts.ts';
import { CONTROL_PREFIX, handleControl, isControlPath } from './control.ts';
import { listenOnLoopback, readBody } from './loopback.ts';
import { operate } from './operations.ts';
import type { OperationRequest } from './operations.ts';
import { SandboxSettings } from './settings.ts';
import type { Sandbox, SandboxFault, SandboxOperation, SandboxOptions, SandboxRequestRecord } from './types.ts';
import { errors } from './wire.ts';
import type { Answer } from './wire.ts';

export { sandboxApiKeys } from './settings.ts';

/**
 * A stateful InvoiceXpress stand-in on loopback. It speaks the API's paths and shapes for the five
 * sequence operations (see ../shared/reference), checks `api_key`, and injects faults on demand.
 * It holds many accounts: `/accounts/{name}/…` is account `{name}` (as `{name}.app.invoicexpress.com`
 * is), any other path the default account.
 * Order of checks per request: account → route → api_key (401) → rate limit (429) → faults → operation.
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

function send(response: ServerResponse, answer: Answer): void {
  response.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  response.end(answer.body);
}

interface Upstream {
  accounts: SandboxAccounts;
  /** Aborted when the sandbox closes: no delay outlives it. */
  signal: AbortSignal;
}

/** An unknown route (or account) answers an HTML page, as the live API does. */
const NO_SUCH_PAGE: Answer = { status: 404, body: '<html><body>Not Found</body></html>', headers: { 'content-type': 'text/html' } };

const ACCOUNT_PATH = /^\/accounts\/([^/]+)(\/.*)$/;

/** The account a path is for and the InvoiceXpress path within it; undefined for an unknown account. */
function accountOf(accounts: SandboxAccounts, path: string): { settings: SandboxSettings; path: string } | undefined {
  const match = ACCOUNT_PATH.exec(path);
  if (!match?.[1] || match[2] === undefined) return { settings: accounts.defaultAccount, path };
  const settings = accounts.get(match[1]);
  return settings && { settings, path: match[2] };
}

async function handleInvoiceXpress(upstream: Upstream, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { accounts, signal } = upstream;
  const arrivedAt = Date.now();
  const url = new URL(request.url ?? '/', 'http://sandbox.invalid');
  const method = request.method ?? 'GET';
  const target = accountOf(accounts, url.pathname);
  // No account to log it in, slow it down or limit it.
  if (!target) return readBody(request).then(() => send(response, NO_SUCH_PAGE));
  const { settings } = target;
  const route = routeOf(method, target.path);
  const record: SandboxRequestRecord = { operation: route?.operation ?? 'unknown', method, path: url.pathname, status: 0, at: arrivedAt };
  settings.requests.push(record);
  const body = (await readBody(request)).toString('utf8');

  const answer = async (result: Answer): Promise<void> => {
    if (settings.latencyMs > 0) await sleep(settings.latencyMs, undefined, { signal });
    record.status = result.status;
    send(response, result);
  };

  if (!route) return answer(NO_SUCH_PAGE);
  if (url.searchParams.get('api_key') !== settings.apiKey) return answer(errors(401, 'Access denied'));
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

/** Sockets open on `server`, to end them at close (a hang fault keeps its socket open). */
function openSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** The default account (from `options`) and the accounts to add at start; throws SandboxInputError on a bad one. */
function startingAccounts(options: SandboxOptions): SandboxAccounts {
  const defaultAccount = new SandboxSettings({ ...options, apiKey: options.apiKey ?? 'sandbox-api-key' }, options.accountName ?? 'sandbox');
  const accounts = new SandboxAccounts(defaultAccount);
  for (const [name, account] of Object.entries(options.accounts ?? {})) accounts.add(name, account);
  return accounts;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const accounts = startingAccounts(options);
  const closing = new AbortController();
  const server = createServer();
  const sockets = openSockets(server);
  const url = await listenOnLoopback(server, options.port);

  const sandbox: Sandbox = {
    // The default account's controls are the Sandbox's own.
    ...accountControls(accounts.defaultAccount),
    ...accountsApi(accounts, url),
    url,
    controlUrl: `${url}${CONTROL_PREFIX}`,
    get apiKey() {
      return accounts.defaultAccount.apiKey;
    },
    accountName: accounts.defaultAccount.accountName,
    close: async () => {
      closing.abort();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const upstream: Upstream = { accounts, signal: closing.signal };
  // Attached in the same turn as listen's callback (the sandbox needs its URL): no request can have been read yet.
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://sandbox.invalid').pathname;
    const work = isControlPath(path) ? handleControl(sandbox, request, response) : handleInvoiceXpress(upstream, request, response);
    work.catch(() => {
      if (!response.headersSent) send(response, errors(500, 'Sandbox internal error'));
    });
  });
  return sandbox;
}
