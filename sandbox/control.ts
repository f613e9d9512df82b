import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from '../shared/zod.ts';
import { SandboxInputError } from './account.ts';
import { readBody } from './loopback.ts';
import type { SandboxControls } from './types.ts';
import { SandboxAtBehaviourSchema, SandboxDelayMsSchema, SandboxFaultRuleSchema, SandboxSeedSchema, SandboxVariantsSchema } from './schemas.ts';
import { issueLines } from '../shared/zod-issues.ts';

/**
 * The sandbox's control endpoint, on its own port under /_sandbox (not an InvoiceXpress path):
 * each route parses its body with zod and calls the same Sandbox method a test would call, then
 * answers what it now holds. No key (the sandbox is a loopback test double); not in the request log.
 */

export const CONTROL_PREFIX = '/_sandbox';

export function isControlPath(path: string): boolean {
  return path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`);
}

// ---------------------------------------------------------------------------------------------
// Bodies

const SeedSchema = z.strictObject({ seed: SandboxSeedSchema });
const RateLimitSchema = z.strictObject({ perMinute: z.nullable(z.int().check(z.positive())) });
const LatencySchema = z.strictObject({ ms: SandboxDelayMsSchema });
const AtSchema = z.partial(SandboxAtBehaviourSchema);

// ---------------------------------------------------------------------------------------------
// Routes

interface ControlRoute {
  /** What the route does, for GET /_sandbox. */
  about: string;
  run: (sandbox: SandboxControls, body: unknown) => unknown;
}

/** Parses with the schema, then runs; a ZodError becomes a 400 with every problem named. */
function withBody<T>(schema: z.ZodMiniType<T>, run: (sandbox: SandboxControls, input: T) => unknown) {
  return (sandbox: SandboxControls, body: unknown): unknown => run(sandbox, schema.parse(body));
}

const CONTROL_ROUTES: Record<string, ControlRoute> = {
  'GET /_sandbox': { about: 'this list', run: () => ({ routes: routeList() }) },
  'GET /_sandbox/state': {
    about: 'sequences, AT behaviour, variants, faults, rate limit, latency',
    run: (sandbox) => sandbox.state(),
  },
  'GET /_sandbox/requests': { about: 'the InvoiceXpress request log', run: (sandbox) => ({ requests: sandbox.requests }) },
  'DELETE /_sandbox/requests': {
    about: 'empty the request log',
    run: (sandbox) => {
      sandbox.clearRequests();
      return { requests: sandbox.requests };
    },
  },
  'PATCH /_sandbox/at': {
    about: 'change the given AT fields, e.g. {"onRegister":"reject","rejectSeries":["2027"]}',
    run: withBody(AtSchema, (sandbox, at) => {
      sandbox.setAt(at);
      return { at: sandbox.state().at };
    }),
  },
  'PUT /_sandbox/sequences': {
    about: 'replace the sequences: {"seed":"docs"}, {"seed":"empty"} or {"seed":[{"serie":"2026","default":true}]}',
    run: withBody(SeedSchema, (sandbox, { seed }) => {
      sandbox.seedAccount(seed);
      return { sequences: sandbox.sequences() };
    }),
  },
  'POST /_sandbox/faults': {
    about: 'add a fault rule, e.g. {"fault":{"kind":"status","status":503},"operations":["register"],"times":1}',
    run: withBody(SandboxFaultRuleSchema, (sandbox, rule) => {
      sandbox.addFault(rule);
      return { faults: sandbox.state().faults };
    }),
  },
  'DELETE /_sandbox/faults': {
    about: 'remove every fault rule',
    run: (sandbox) => {
      sandbox.clearFaults();
      return { faults: sandbox.state().faults };
    },
  },
  'PUT /_sandbox/variants': {
    about: 'replace the wire variants, e.g. {"singleKey":"sequence","currentFields":"not_in_list"}',
    run: withBody(SandboxVariantsSchema, (sandbox, variants) => {
      sandbox.setVariants(variants);
      return { variants: sandbox.state().variants };
    }),
  },
  'PUT /_sandbox/rate-limit': {
    about: 'requests per minute before 429: {"perMinute":100}, or {"perMinute":null} for no limit',
    run: withBody(RateLimitSchema, (sandbox, { perMinute }) => {
      sandbox.setRateLimit(perMinute ?? undefined);
      return { rateLimitPerMinute: sandbox.state().rateLimitPerMinute };
    }),
  },
  'PUT /_sandbox/latency': {
    about: 'delay every InvoiceXpress answer: {"ms":200}',
    run: withBody(LatencySchema, (sandbox, { ms }) => {
      sandbox.setLatency(ms);
      return { latencyMs: sandbox.state().latencyMs };
    }),
  },
  'POST /_sandbox/reset': {
    about: 'back to how the sandbox started: its first seed and settings, no faults, an empty log',
    run: (sandbox) => {
      sandbox.reset();
      return sandbox.state();
    },
  },
};

function routeList(): { route: string; about: string }[] {
  return Object.entries(CONTROL_ROUTES).map(([route, { about }]) => ({ route, about }));
}

// ---------------------------------------------------------------------------------------------
// HTTP

function reply(response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value, null, 2) + '\n';
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  response.end(body);
}

function describeZodError(error: z.core.$ZodError): string {
  return issueLines(error, { root: 'body' }).join('; ');
}

/** An empty body reads as {} (e.g. `curl -X DELETE`); anything else must be JSON. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export async function handleControl(sandbox: SandboxControls, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const method = request.method ?? 'GET';
  const path = new URL(request.url ?? '/', 'http://sandbox.invalid').pathname.replace(/\/+$/, '');
  const text = (await readBody(request)).toString('utf8');
  const route = CONTROL_ROUTES[`${method} ${path}`];
  if (!route) {
    const allowed = Object.keys(CONTROL_ROUTES)
      .filter((key) => key.endsWith(` ${path}`))
      .map((key) => key.split(' ')[0] ?? '');
    if (allowed.length > 0)
      return reply(response, 405, { error: `${method} is not allowed on ${path}; use ${allowed.join(', ')}` }, { allow: allowed.join(', ') });
    return reply(response, 404, { error: `no control route ${method} ${path}`, routes: routeList() });
  }
  const body = parseJson(text);
  if (!body.ok) return reply(response, 400, { error: `${method} ${path}: the body is not valid JSON` });
  try {
    reply(response, 200, route.run(sandbox, body.value));
  } catch (error) {
    if (error instanceof z.core.$ZodError) return reply(response, 400, { error: `${method} ${path}: ${describeZodError(error)}` });
    if (error instanceof SandboxInputError) return reply(response, 400, { error: `${method} ${path}: ${error.message}` });
    throw error;
  }
}
