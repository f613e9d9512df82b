import { RegistryAccountNameSchema } from '../accounts/model.ts';
import * as z from '../zod.ts';
import type { RouteSpec } from './route-spec.ts';

/**
 * The routes of one registered account: every sequence and rollover route of the default account
 * also exists under `/accounts/{account}`, served by the same function, with the same contract. A
 * caller can be limited to some accounts through the execute-api ARN (infra/access.ts).
 */
export const ACCOUNT_PATH_PREFIX = '/accounts/{account}';

const AccountParamSchema = RegistryAccountNameSchema.check(z.describe('The registered InvoiceXpress account (lowercase), as PUT /accounts/{account} named it'));
const AccountOnlySchema = z.strictObject({ account: AccountParamSchema });

type AccountShape = { account: typeof AccountParamSchema };
/** A route's path parameters with `account` added (only `account` for a route that had none). */
export type ScopedParams<P> = P extends z.ZodMiniObject
  ? z.ZodMiniObject<z.core.util.Extend<P['shape'], AccountShape>, P['_zod']['config']>
  : typeof AccountOnlySchema;

const scoped = new WeakMap<RouteSpec, RouteSpec>();

/** The account's version of a route: `/accounts/{account}` + its path, `<operationId>ForAccount`, the same function. */
export function accountScoped<Params extends z.ZodMiniType, Body extends z.ZodMiniType, Response, Query extends z.ZodMiniType>(
  route: RouteSpec<Params, Body, Response, Query>,
): RouteSpec<ScopedParams<Params>, Body, Response, Query> {
  let spec = scoped.get(route);
  if (spec === undefined) {
    const params = route.params instanceof z.ZodMiniObject ? z.extend(route.params, { account: AccountParamSchema }) : AccountOnlySchema;
    spec = {
      ...route,
      operationId: `${route.operationId}ForAccount`,
      path: `${ACCOUNT_PATH_PREFIX}${route.path}`,
      summary: `${route.summary} (a registered account)`,
      params,
    };
    scoped.set(route, spec);
  }
  return spec as RouteSpec<ScopedParams<Params>, Body, Response, Query>;
}

type ScopedTable<T extends Record<string, RouteSpec>> = {
  [K in keyof T & string as `${K}ForAccount`]: T[K] extends RouteSpec<infer P, infer B, infer R, infer Q> ? RouteSpec<ScopedParams<P>, B, R, Q> : never;
};

/** Every route of a table under `/accounts/{account}`, named `<name>ForAccount`. */
export function accountScopedTable<T extends Record<string, RouteSpec>>(table: T): ScopedTable<T> {
  return Object.fromEntries(Object.entries(table).map(([name, route]) => [`${name}ForAccount`, accountScoped(route)])) as ScopedTable<T>;
}

/** True when an API Gateway event is for the account version of its route (resource `/accounts/{account}/…`). */
export function isAccountResource(resource: unknown): boolean {
  return typeof resource === 'string' && resource.startsWith(`${ACCOUNT_PATH_PREFIX}/`);
}
