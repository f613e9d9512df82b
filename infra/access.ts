import { ACCOUNT_PATH_PREFIX } from '../shared/http/account-scope.ts';
import { routes } from '../shared/http/routes.ts';
import type { RouteSpec } from '../shared/http/route-spec.ts';

/**
 * Access levels of the API, each including the ones before it: `read` (every GET, the delivery
 * log included), `write` (+ the mutating sequence routes: create, register, set_current),
 * `rollover` (+ the mutating rollover and notification routes: POST /rollover, the dispatch, the
 * redeliveries), `admin` (+ the account registry: `/accounts` and `/accounts/{account}`). The one
 * place that decides which level a route needs; the resource policy, the managed policies and the
 * tests all derive from it.
 */
export const ACCESS_LEVELS = ['read', 'write', 'rollover', 'admin'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

export type RouteKey = Pick<RouteSpec, 'method' | 'path'>;

/** Paths whose mutating routes need `rollover`: running the rollover, and redelivering notifications (operators' tools). */
const ROLLOVER_LEVEL_PATHS = ['/rollover', '/notifications'];
/** The registry itself: registering, re-keying, reading and deleting accounts. */
const ADMIN_PATHS = ['/accounts', ACCOUNT_PATH_PREFIX];

/** True for a route of one registered account (`/accounts/{account}/…`). */
export function isAccountScoped(route: RouteKey): boolean {
  return route.path.startsWith(`${ACCOUNT_PATH_PREFIX}/`);
}

/**
 * The level a route needs, from its method and path alone. An account's route
 * (`/accounts/{account}/…`) needs what the same route of the default account needs.
 */
export function routeAccessLevel(route: RouteKey): AccessLevel {
  if (ADMIN_PATHS.includes(route.path)) return 'admin';
  if (isAccountScoped(route)) return routeAccessLevel({ method: route.method, path: route.path.slice(ACCOUNT_PATH_PREFIX.length) });
  if (route.method === 'GET') return 'read';
  if (ROLLOVER_LEVEL_PATHS.some((path) => route.path === path || route.path.startsWith(`${path}/`))) return 'rollover';
  return 'write';
}

/** Every route of the API (the shared route table the handlers and OpenAPI use). */
export function apiRoutes(): RouteSpec[] {
  return Object.values(routes);
}

const rankOf = (level: AccessLevel): number => ACCESS_LEVELS.indexOf(level);

/** True when a caller at `level` may call `route`. */
function isWithinLevel(route: RouteKey, level: AccessLevel): boolean {
  return rankOf(routeAccessLevel(route)) <= rankOf(level);
}

/** The routes a caller at `level` may call: those needing that level or a lower one. */
export function routesForLevel(level: AccessLevel, all: readonly RouteSpec[] = apiRoutes()): RouteSpec[] {
  return all.filter((route) => isWithinLevel(route, level));
}

/**
 * A route's path as execute-api ARNs spell it: path parameters become `*`. The method is a
 * separate part of the ARN, so a wildcard never reaches another method (a GET grant no PUT).
 */
export function executeApiPath(route: RouteKey): string {
  return route.path.replace(/\{[^}]+\}/g, '*');
}

/**
 * Account names a caller may be limited to (`accounts` of a caller in infra/config.ts): a name
 * (lowercase host label), a prefix ending in `*` (`acme*`), or `*` (every registered account). A
 * `*` stands last only: in an execute-api ARN it also matches `/`, so `*-eu` would match
 * `bob/sequences/1-eu/register`, a route of `bob`, while a trailing one keeps the match to the
 * account segment (`acme*` matches paths under `/accounts/acme…` only).
 */
export const ACCOUNT_PATTERN = /^(?:\*|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?|[a-z0-9][a-z0-9-]{0,61}\*)$/;

/** A route of a registered account with `{account}` set to `pattern` and its other parameters `*`. */
function accountRoutePath(route: RouteKey, pattern: string): string {
  return executeApiPath({ method: route.method, path: route.path.replace(ACCOUNT_PATH_PREFIX, `/accounts/${pattern}`) });
}

/**
 * The `METHOD/path` tails (after the stage) a caller at `level` limited to the accounts of
 * `patterns` may call: only account routes (`/accounts/{account}/…`), never the default account's,
 * the registry's nor the fan-out's. Compact where it is exact: `GET/accounts/acme/*` when every
 * account route with that method is within the level, else each route (`POST/accounts/acme/sequences`
 * at `write`, which must not reach `POST /accounts/acme/rollover`).
 */
export function accountScopedPaths(level: AccessLevel, patterns: readonly string[], all: readonly RouteKey[] = apiRoutes()): string[] {
  const bad = patterns.filter((pattern) => !ACCOUNT_PATTERN.test(pattern));
  if (bad.length > 0) throw new Error(`not an account name or prefix pattern: ${bad.join(', ')}`);
  const scoped = all.filter(isAccountScoped);
  const methods = [...new Set(scoped.map((route) => route.method))];
  return patterns.flatMap((pattern) =>
    methods.flatMap((method) => {
      const ofMethod = scoped.filter((route) => route.method === method);
      const within = ofMethod.filter((route) => isWithinLevel(route, level));
      if (within.length > 0 && within.length === ofMethod.length) return [`${method}/accounts/${pattern}/*`];
      return within.map((route) => `${method}${accountRoutePath(route, pattern)}`);
    }),
  );
}

/** The `METHOD/path` tails of what a caller at `level` may call, limited to `accounts` when given. */
function invokePaths(level: AccessLevel, accounts?: readonly string[]): string[] {
  if (accounts !== undefined) return accountScopedPaths(level, accounts);
  return routesForLevel(level).map((route) => `${route.method}${executeApiPath(route)}`);
}

export interface InvokePolicyOptions {
  /** `arn:<partition>:execute-api:<region>:<account>:<api-id>` (placeholders are fine in docs). */
  readonly apiArn: string;
  readonly stageName: string;
  readonly level: AccessLevel;
  /** Account names or prefixes (ACCOUNT_PATTERN): only those accounts' routes. */
  readonly accounts?: readonly string[];
}

/**
 * An identity policy allowing a level (for some accounts only, with `accounts`): what an operator
 * attaches to a same-account role, or a caller's account to its own role (`npm run access-policy`).
 */
export function invokePolicyDocument(options: InvokePolicyOptions): {
  Version: '2012-10-17';
  Statement: { Effect: 'Allow'; Action: 'execute-api:Invoke'; Resource: string[] }[];
} {
  const resources = invokePaths(options.level, options.accounts).map((tail) => `${options.apiArn}/${options.stageName}/${tail}`);
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: resources }] };
}
