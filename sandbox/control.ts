import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from '../shared/zod.ts';
import { SandboxInputError } from './account.ts';
import { readBody } from './loopback.ts';
import type { Sandbox, SandboxAccountHandle, SandboxControls } from './types.ts';
import {
  SandboxApiKeySchema,
  SandboxAtBehaviourSchema,
  SandboxDelayMsSchema,
  SandboxFaultRuleSchema,
  SandboxSeedSchema,
  SandboxVariantsSchema,
} from './schemas.ts';
import { issueLines } from '../shared/zod-issues.ts';

/**
 * The sandbox's control endpoint, on its own port under /_sandbox (not an InvoiceXpress path):
 * each route parses its body with zod and calls the same Sandbox method a test would call, then
 * answers what it now holds. No key (the sandbox is a loopback test double); not in the request log.
 * One table of routes serves every account: under /_sandbox it acts on the default account, under
 * /_sandbox/accounts/{name} on account {name}.
 */

export const CONTROL_PREFIX = '/_sandbox';
const ACCOUNTS_PREFIX = `${CONTROL_PREFIX}/accounts`;

export function isControlPath(path: string): boolean {
  return path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`);
}

// ---------------------------------------------------------------------------------------------
// Bodies

const SeedSchema = z.strictObject({ seed: SandboxSeedSchema });
/** null: no limit. */
const PerMinuteSchema = z.nullable(z.int().check(z.positive()));
const RateLimitSchema = z.strictObject({ perMinute: PerMinuteSchema });
const LatencySchema = z.strictObject({ ms: SandboxDelayMsSchema });
const AtSchema = z.partial(SandboxAtBehaviourSchema);
/** An account's key, and what it starts with (a new account) or changes to (an existing one). */
const AccountSchema = z.strictObject({
  apiKey: SandboxApiKeySchema,
  seed: z.optional(SandboxSeedSchema),
  at: z.optional(AtSchema),
  variants: z.optional(SandboxVariantsSchema),
  rateLimitPerMinute: z.optional(PerMinuteSchema),
  latencyMs: z.optional(SandboxDelayMsSchema),
});

// ---------------------------------------------------------------------------------------------
// Routes

interface ControlRoute<Target> {
  /** What the route does, for GET /_sandbox. */
  about: string;
  run: (target: Target, body: unknown) => unknown;
}

/** Parses with the schema, then runs; a ZodError becomes a 400 with every problem named. */
function withBody<Target, T>(schema: z.ZodMiniType<T>, run: (target: Target, input: T) => unknown) {
  return (target: Target, body: unknown): unknown => run(target, schema.parse(body));
}

/** A path naming an account the sandbox does not have (404). */
class UnknownAccountError extends Error {
  override readonly name = 'UnknownAccountError';

  constructor(accountName: string) {
    super(`no sandbox account "${accountName}" (PUT ${ACCOUNTS_PREFIX}/${accountName} creates it)`);
  }
}

/** One account's routes, by method and path under the account's base: /_sandbox or /_sandbox/accounts/{name}. */
const ACCOUNT_ROUTES: Record<string, ControlRoute<SandboxControls>> = {
  'GET /state': {
    about: 'sequences, AT behaviour, variants, faults, rate limit, latency',
    run: (account) => account.state(),
  },
  'GET /requests': { about: 'the InvoiceXpress request log', run: (account) => ({ requests: account.requests }) },
  'DELETE /requests': {
    about: 'empty the request log',
    run: (account) => {
      account.clearRequests();
      return { requests: account.requests };
    },
  },
  'PATCH /at': {
    about: 'change the given AT fields, e.g. {"onRegister":"reject","rejectSeries":["2027"]}',
    run: withBody(AtSchema, (account, at) => {
      account.setAt(at);
      return { at: account.state().at };
    }),
  },
  'PUT /sequences': {
    about: 'replace the sequences: {"seed":"docs"}, {"seed":"empty"} or {"seed":[{"serie":"2026","default":true}]}',
    run: withBody(SeedSchema, (account, { seed }) => {
      account.seedAccount(seed);
      return { sequences: account.sequences() };
    }),
  },
  'POST /faults': {
    about: 'add a fault rule, e.g. {"fault":{"kind":"status","status":503},"operations":["register"],"times":1}',
    run: withBody(SandboxFaultRuleSchema, (account, rule) => {
      account.addFault(rule);
      return { faults: account.state().faults };
    }),
  },
  'DELETE /faults': {
    about: 'remove every fault rule',
    run: (account) => {
      account.clearFaults();
      return { faults: account.state().faults };
    },
  },
  'PUT /variants': {
    about: 'replace the wire variants, e.g. {"singleKey":"sequence","currentFields":"not_in_list"}',
    run: withBody(SandboxVariantsSchema, (account, variants) => {
      account.setVariants(variants);
      return { variants: account.state().variants };
    }),
  },
  'PUT /rate-limit': {
    about: 'requests per minute before 429: {"perMinute":100}, or {"perMinute":null} for no limit',
    run: withBody(RateLimitSchema, (account, { perMinute }) => {
      account.setRateLimit(perMinute ?? undefined);
      return { rateLimitPerMinute: account.state().rateLimitPerMinute };
    }),
  },
  'PUT /latency': {
    about: 'delay every InvoiceXpress answer: {"ms":200}',
    run: withBody(LatencySchema, (account, { ms }) => {
      account.setLatency(ms);
      return { latencyMs: account.state().latencyMs };
    }),
  },
  'POST /reset': {
    about: 'back to how the account started: its first seed, settings and key, no faults, an empty log',
    run: (account) => {
      account.reset();
      return account.state();
    },
  },
};

/** Every account: its name, key, and how many sequences and requests it has. */
function accountList(sandbox: Sandbox): { accounts: { accountName: string; apiKey: string; sequences: number; requests: number }[] } {
  const summary = (account: SandboxAccountHandle) => ({
    accountName: account.accountName,
    apiKey: account.apiKey,
    sequences: account.sequences().length,
    requests: account.requests.length,
  });
  return {
    accounts: sandbox
      .accountNames()
      .flatMap((name) => sandbox.account(name) ?? [])
      .map(summary),
  };
}

/** A new account starts as the body says; an existing one is re-keyed and changes only what the body gives. */
function putAccount(sandbox: Sandbox, name: string, body: z.infer<typeof AccountSchema>): SandboxAccountHandle {
  const { rateLimitPerMinute, ...settings } = body;
  const account = sandbox.account(name);
  if (!account) return sandbox.addAccount(name, { ...settings, rateLimitPerMinute: rateLimitPerMinute ?? undefined });
  // The seed first: it is the one change that can still be refused (a duplicate serie), and a refused body changes nothing.
  if (body.seed !== undefined) account.seedAccount(body.seed);
  account.rekey(body.apiKey);
  if (body.at !== undefined) account.setAt(body.at);
  if (body.variants !== undefined) account.setVariants(body.variants);
  if (rateLimitPerMinute !== undefined) account.setRateLimit(rateLimitPerMinute ?? undefined);
  if (body.latencyMs !== undefined) account.setLatency(body.latencyMs);
  return account;
}

/** The account named in the path, and the sandbox that has it (or is to have it). */
interface NamedAccount {
  sandbox: Sandbox;
  name: string;
}

const ACCOUNTS_ROUTES: Record<string, ControlRoute<NamedAccount>> = {
  'PUT /_sandbox/accounts/{name}': {
    about:
      'create an account, or re-key one and change the fields given: {"apiKey":"acme-api-key","seed"?,"at"?,"variants"?,"rateLimitPerMinute"?,"latencyMs"?}',
    run: withBody(AccountSchema, ({ sandbox, name }, body) => putAccount(sandbox, name, body).state()),
  },
  'DELETE /_sandbox/accounts/{name}': {
    about: 'remove an added account (not the default one)',
    run: ({ sandbox, name }) => {
      if (!sandbox.removeAccount(name)) throw new UnknownAccountError(name);
      return accountList(sandbox);
    },
  },
};

const SANDBOX_ROUTES: Record<string, ControlRoute<Sandbox>> = {
  'GET /_sandbox': { about: 'this list', run: () => ({ routes: routeList() }) },
  'GET /_sandbox/accounts': { about: 'every account: name, key, how many sequences and requests', run: accountList },
};

function routeList(): { route: string; about: string }[] {
  const listed = <Target>(routes: Record<string, ControlRoute<Target>>, base = '') =>
    Object.entries(routes).map(([route, { about }]) => ({ route: route.replace(' ', ` ${base}`), about }));
  return [
    ...listed(SANDBOX_ROUTES),
    ...listed(ACCOUNT_ROUTES, CONTROL_PREFIX),
    ...listed(ACCOUNTS_ROUTES),
    ...listed(ACCOUNT_ROUTES, `${ACCOUNTS_PREFIX}/{name}`),
  ];
}

/** The routes at one path, by method, each bound to what it acts on. */
type BoundRoutes = Map<string, (body: unknown) => unknown>;

function bound<Target>(routes: Record<string, ControlRoute<Target>>, path: string, target: Target): BoundRoutes {
  const methods: BoundRoutes = new Map();
  for (const [route, { run }] of Object.entries(routes)) {
    const [method = '', routePath] = route.split(' ');
    if (routePath === path) methods.set(method, (body) => run(target, body));
  }
  return methods;
}

const ACCOUNT_CONTROL_PATH = /^\/_sandbox\/accounts\/([^/]+)(\/.*)?$/;

/** What answers at `path` (none: an unknown route); throws UnknownAccountError for an account the sandbox does not have. */
function routesAt(sandbox: Sandbox, path: string): BoundRoutes {
  const match = ACCOUNT_CONTROL_PATH.exec(path);
  const name = match?.[1];
  if (name === undefined) {
    return new Map([...bound(SANDBOX_ROUTES, path, sandbox), ...bound(ACCOUNT_ROUTES, path.slice(CONTROL_PREFIX.length), sandbox)]);
  }
  const rest = match?.[2];
  if (rest === undefined) return bound(ACCOUNTS_ROUTES, `${ACCOUNTS_PREFIX}/{name}`, { sandbox, name });
  const account = sandbox.account(name);
  if (!account) throw new UnknownAccountError(name);
  return bound(ACCOUNT_ROUTES, rest, account);
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

export async function handleControl(sandbox: Sandbox, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const method = request.method ?? 'GET';
  const path = new URL(request.url ?? '/', 'http://sandbox.invalid').pathname.replace(/\/+$/, '');
  const text = (await readBody(request)).toString('utf8');
  try {
    const routes = routesAt(sandbox, path);
    const run = routes.get(method);
    if (!run) return notRouted(response, method, path, [...routes.keys()]);
    const body = parseJson(text);
    if (!body.ok) return reply(response, 400, { error: `${method} ${path}: the body is not valid JSON` });
    reply(response, 200, run(body.value));
  } catch (error) {
    if (error instanceof UnknownAccountError) return reply(response, 404, { error: error.message });
    if (error instanceof z.core.$ZodError) return reply(response, 400, { error: `${method} ${path}: ${describeZodError(error)}` });
    if (error instanceof SandboxInputError) return reply(response, 400, { error: `${method} ${path}: ${error.message}` });
    throw error;
  }
}

/** No route for this method and path: 405 naming the methods the path has, else 404 with the list of routes. */
function notRouted(response: ServerResponse, method: string, path: string, allowed: string[]): void {
  if (allowed.length > 0)
    return reply(response, 405, { error: `${method} is not allowed on ${path}; use ${allowed.join(', ')}` }, { allow: allowed.join(', ') });
  return reply(response, 404, { error: `no control route ${method} ${path}`, routes: routeList() });
}
