import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { listenOnLoopback, readBody } from './loopback.ts';
import { docsExampleSequence, newSequence, registerWithAt, SequenceIds } from './seed.ts';
import type {
  RawSequence,
  Sandbox,
  SandboxAtBehaviour,
  SandboxFault,
  SandboxFaultRule,
  SandboxOperation,
  SandboxOptions,
  SandboxRequestRecord,
  SandboxVariants,
} from './types.ts';

/**
 * A stateful InvoiceXpress stand-in on loopback. It speaks the API's paths and shapes for the five
 * sequence operations (see ../shared/reference), checks `api_key`, and injects faults on demand.
 * Order of checks per request: route → api_key (401) → rate limit (429) → faults → operation.
 */

const MAX_SERIE_LENGTH = 35;
const VALID_SERIE = /^[A-Za-z0-9][A-Za-z0-9_\-/.]*$/;
const RATE_WINDOW_MS = 60_000;

interface Route {
  operation: SandboxOperation;
  id?: number;
}

type Answer = { status: number; body: string; headers?: Record<string, string> };

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

const json = (status: number, value: unknown): Answer => ({
  status,
  body: JSON.stringify(value),
  headers: { 'content-type': 'application/json; charset=utf-8' },
});
/** InvoiceXpress's recorded error shape: {"errors": [{"error": "message"}]}. */
const errors = (status: number, ...messages: string[]): Answer =>
  json(status, { errors: messages.map((error) => ({ error })) });

/** Numbers and default_sequence as strings, as some live answers were recorded. */
function stringlyOf(sequence: RawSequence): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(sequence).map(([key, value]) => [key, typeof value === 'number' ? String(value) : value]),
  );
}

function defaultFlag(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return false;
  if (value === true || value === 1 || value === '1' || value === 'true') return true;
  if (value === false || value === 0 || value === '0' || value === 'false') return false;
  return undefined;
}

/** Every key a sandbox of this process accepts: what a log scan must never find. */
const keysInUse = new Set<string>();
export function sandboxApiKeys(): readonly string[] {
  return [...keysInUse];
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const apiKey = options.apiKey ?? 'sandbox-api-key';
  keysInUse.add(apiKey);
  const accountName = options.accountName ?? 'sandbox';
  const initialAt: SandboxAtBehaviour = {
    onCreate: 'register',
    onRegister: 'ok',
    rejectMessage: 'A AT recusou a comunicação da série (sandbox)',
    ...options.at,
  };

  let state = new Map<number, RawSequence>();
  let ids = new SequenceIds();
  let faults: SandboxFaultRule[] = [];
  let at: SandboxAtBehaviour = { ...initialAt };
  let variants: SandboxVariants = { ...options.variants };
  let rateLimitPerMinute = options.rateLimitPerMinute;
  let latencyMs = options.latencyMs ?? 0;
  let accepted: number[] = [];
  const requests: SandboxRequestRecord[] = [];
  const sockets = new Set<Socket>();

  function seed(): void {
    state = new Map();
    ids = new SequenceIds();
    if (options.seed ?? true) {
      const example = docsExampleSequence();
      state.set(example.id, example);
    }
  }
  seed();

  function takeFault(operation: SandboxOperation): SandboxFault | undefined {
    const index = faults.findIndex((rule) => !rule.operations || rule.operations.includes(operation));
    const rule = faults[index];
    if (!rule) return undefined;
    if (rule.times !== undefined) {
      rule.times -= 1;
      if (rule.times <= 0) faults.splice(index, 1);
    }
    return rule.fault;
  }

  function rateLimited(now: number): boolean {
    if (rateLimitPerMinute === undefined) return false;
    accepted = accepted.filter((time) => now - time < RATE_WINDOW_MS);
    if (accepted.length >= rateLimitPerMinute) return true;
    accepted.push(now);
    return false;
  }

  function wire(sequence: RawSequence): Record<string, unknown> {
    return variants.stringly ? stringlyOf(sequence) : { ...sequence };
  }

  function single(sequence: RawSequence): Answer {
    return json(200, { [variants.singleKey ?? 'sequences']: wire(sequence) });
  }

  function actionAnswer(operation: 'register' | 'set_current', sequence: RawSequence): Answer {
    switch (variants.actionBody ?? 'docs') {
      case 'empty':
        return { status: 200, body: '' };
      case 'text':
        return { status: 200, body: 'OK', headers: { 'content-type': 'text/plain' } };
      case 'docs':
        // Register documents a one-element list; set_current documents no body.
        return operation === 'register' ? json(200, { sequences: [wire(sequence)] }) : { status: 200, body: '' };
    }
  }

  function list(url: URL): Answer {
    const all = [...state.values()].sort((a, b) => a.id - b.id);
    const pageSize = variants.pageSize;
    if (pageSize === undefined) return json(200, { sequences: all.map(wire) });
    const perPage = Math.max(1, Number(url.searchParams.get('per_page') ?? pageSize) || pageSize);
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const totalPages = Math.max(1, Math.ceil(all.length / perPage));
    return json(200, {
      sequences: all.slice((page - 1) * perPage, page * perPage).map(wire),
      pagination: { total_entries: all.length, current_page: page, total_pages: totalPages, per_page: perPage },
    });
  }

  function create(rawBody: string): Answer {
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return errors(422, 'The sequence name is invalid');
    }
    const sequenceInput =
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['sequence'] : undefined;
    if (typeof sequenceInput !== 'object' || sequenceInput === null) return errors(422, 'The sequence name is invalid');
    const input = sequenceInput as Record<string, unknown>;
    const serie = typeof input['serie'] === 'number' ? String(input['serie']) : input['serie'];
    const isDefault = defaultFlag(input['default_sequence']);
    if (
      typeof serie !== 'string' ||
      serie.length === 0 ||
      serie.length > MAX_SERIE_LENGTH ||
      !VALID_SERIE.test(serie) ||
      serie.toUpperCase().startsWith('AT') ||
      isDefault === undefined
    ) {
      return errors(422, 'The sequence name is invalid');
    }
    if ([...state.values()].some((existing) => existing.serie === serie)) {
      return errors(422, 'Serie has already been taken');
    }
    const sequence = newSequence(ids, serie);
    // Create "creates and registers": AT answers at once unless it is set to refuse or be pending.
    if (at.onCreate === 'register' && at.onRegister === 'ok') registerWithAt(sequence, ids);
    if (isDefault) for (const other of state.values()) other.default_sequence = 0;
    sequence.default_sequence = isDefault ? 1 : 0;
    state.set(sequence.id, sequence);
    return json(201, { [variants.singleKey ?? 'sequences']: wire(sequence) });
  }

  function register(sequence: RawSequence): Answer {
    if (!Object.values(sequence).includes('N/D')) {
      // Shape recorded by client libraries for an already registered sequence.
      return json(422, { errors: { code: '007', message: 'All Sequences are registered in AT.' } });
    }
    if (at.onRegister === 'reject') return errors(422, at.rejectMessage ?? 'AT refused the registration');
    registerWithAt(sequence, ids);
    return actionAnswer('register', sequence);
  }

  function setCurrent(sequence: RawSequence): Answer {
    for (const other of state.values()) other.default_sequence = other.id === sequence.id ? 1 : 0;
    return actionAnswer('set_current', sequence);
  }

  function operate(route: Route, url: URL, rawBody: string): Answer {
    if (route.operation === 'list') return list(url);
    if (route.operation === 'create') return create(rawBody);
    const sequence = route.id === undefined ? undefined : state.get(route.id);
    // InvoiceXpress's recorded 404: an empty body or a single space.
    if (!sequence) return { status: 404, body: ' ' };
    if (route.operation === 'get') return single(sequence);
    if (route.operation === 'register') return register(sequence);
    return setCurrent(sequence);
  }

  function send(response: ServerResponse, answer: Answer): void {
    response.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
    response.end(answer.body);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const arrivedAt = Date.now();
    const url = new URL(request.url ?? '/', 'http://sandbox.invalid');
    const method = request.method ?? 'GET';
    const route = routeOf(method, url.pathname);
    const record: SandboxRequestRecord = {
      operation: route?.operation ?? 'unknown',
      method,
      path: url.pathname,
      status: 0,
      at: arrivedAt,
    };
    requests.push(record);
    const rawBody = (await readBody(request)).toString('utf8');

    const answer = async (result: Answer): Promise<void> => {
      if (latencyMs > 0) await sleep(latencyMs);
      record.status = result.status;
      send(response, result);
    };

    if (!route) {
      // An unknown route answers an HTML page, as the live API does.
      await answer({ status: 404, body: '<html><body>Not Found</body></html>', headers: { 'content-type': 'text/html' } });
      return;
    }
    if (url.searchParams.get('api_key') !== apiKey) return answer(errors(401, 'Access denied'));
    if (rateLimited(arrivedAt)) return answer(errors(429, 'Too many requests'));

    const fault = takeFault(route.operation);
    switch (fault?.kind) {
      case undefined:
        return answer(operate(route, url, rawBody));
      case 'latency':
        await sleep(fault.ms);
        return answer(operate(route, url, rawBody));
      case 'status': {
        const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        const body = fault.body ?? JSON.stringify({ errors: [{ error: `Sandbox fault: status ${String(fault.status)}` }] });
        return answer({ status: fault.status, body, headers });
      }
      case 'hang':
        record.status = 'hang';
        return; // the socket stays open until the client gives up or the sandbox closes
      case 'drop_response':
        operate(route, url, rawBody);
        record.status = 'dropped';
        request.socket.destroy();
        return;
      case 'malformed':
        return answer({ status: 200, body: fault.body, headers: { 'content-type': 'application/json; charset=utf-8' } });
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) send(response, errors(500, 'Sandbox internal error'));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const url = await listenOnLoopback(server, options.port);

  return {
    url,
    apiKey,
    accountName,
    requests,
    sequences: () => [...state.values()].sort((a, b) => a.id - b.id).map((sequence) => ({ ...sequence })),
    addFault: (rule) => {
      faults.push({ ...rule, operations: rule.operations ? [...rule.operations] : undefined });
    },
    clearFaults: () => {
      faults = [];
    },
    setAt: (behaviour) => {
      at = { ...at, ...behaviour };
    },
    setVariants: (next) => {
      variants = { ...next };
    },
    setRateLimit: (perMinute) => {
      rateLimitPerMinute = perMinute;
      accepted = [];
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    reset: () => {
      seed();
      faults = [];
      at = { ...initialAt };
      variants = { ...options.variants };
      rateLimitPerMinute = options.rateLimitPerMinute;
      latencyMs = options.latencyMs ?? 0;
      accepted = [];
      requests.length = 0;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
