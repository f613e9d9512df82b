import { routes } from '../shared/http/routes.ts';
import type { RouteSpec } from '../shared/http/route-spec.ts';

/**
 * Access levels of the API, each including the ones before it: `read` (every GET, the delivery
 * log included), `write` (+ the mutating sequence routes: create, register, set_current),
 * `rollover` (+ the mutating rollover and notification routes: POST /rollover, the redeliveries). The one place that decides which level a route needs;
 * the resource policy, the managed policies and the tests all derive from it.
 */
export const ACCESS_LEVELS = ['read', 'write', 'rollover'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

type RouteKey = Pick<RouteSpec, 'method' | 'path'>;

/** Paths whose mutating routes need `rollover`: running the rollover, and redelivering notifications (operators' tools). */
const ROLLOVER_LEVEL_PATHS = ['/rollover', '/notifications'];

/** The level a route needs, from its method and path alone. */
export function routeAccessLevel(route: RouteKey): AccessLevel {
  if (route.method === 'GET') return 'read';
  if (ROLLOVER_LEVEL_PATHS.some((path) => route.path === path || route.path.startsWith(`${path}/`))) return 'rollover';
  return 'write';
}

/** Every route of the API (the shared route table the handlers and OpenAPI use). */
export function apiRoutes(): RouteSpec[] {
  return Object.values(routes);
}

/** The routes a caller at `level` may call: those needing that level or a lower one. */
export function routesForLevel(level: AccessLevel, all: readonly RouteSpec[] = apiRoutes()): RouteSpec[] {
  const rank = ACCESS_LEVELS.indexOf(level);
  return all.filter((route) => ACCESS_LEVELS.indexOf(routeAccessLevel(route)) <= rank);
}

/**
 * A route's path as execute-api ARNs spell it: path parameters become `*`. The method is a
 * separate part of the ARN, so a wildcard never reaches another method (a GET grant no PUT).
 */
export function executeApiPath(route: RouteKey): string {
  return route.path.replace(/\{[^}]+\}/g, '*');
}

/** The `stage/METHOD/path` tail of a route's execute-api ARN. */
export function executeApiResourcePath(stageName: string, route: RouteKey): string {
  return `${stageName}/${route.method}${executeApiPath(route)}`;
}
