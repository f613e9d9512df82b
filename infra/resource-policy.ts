import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ACCESS_LEVELS, accountScopedPaths, apiRoutes, executeApiPath, isAccountScoped, routeAccessLevel } from './access.ts';
import type { AccessLevel, RouteKey } from './access.ts';
import type { StageConfig } from './config.ts';
import { API_STAGE_NAME, pascalCase } from './names.ts';

/**
 * The API's resource policy, from the environment's `callers` (infra/config.ts) and the levels of
 * infra/access.ts. Allow statements let each caller reach what its entry says (what a caller in
 * another account needs, with its own IAM policy); Deny statements close every level to the
 * principals not listed at it or above, and every route but its accounts' to a caller limited to
 * some accounts, the API's own account included: an explicit Deny wins over any IAM policy.
 */

/** API Gateway refuses a resource policy longer than this (characters). */
export const RESOURCE_POLICY_MAX_CHARS = 8_192;

type Caller = StageConfig['callers'][number];
type CallerKind = 'account' | 'role' | 'organization';
type Conditions = Record<string, Record<string, string[]>>;

function callerKind(principal: string): CallerKind {
  if (principal.startsWith('arn:')) return 'role';
  return principal.startsWith('o-') ? 'organization' : 'account';
}

/** `METHOD/path` (after the stage) as a resource: API Gateway's shorthand for this API. */
const shorthand = (tail: string): string => `execute-api:/${API_STAGE_NAME}/${tail}`;
/**
 * The same as a whole ARN, for NotResource: only requests to this API meet its resource policy, so
 * the wildcards before the stage stand for this API alone, and no shorthand expansion is relied on.
 */
const arnPattern = (tail: string): string => `arn:*:execute-api:*:*:*/${API_STAGE_NAME}/${tail}`;
const routeTail = (route: RouteKey): string => `${route.method}${executeApiPath(route)}`;

/** The principals of a statement for entries of one kind (organizations go by condition). */
function principalsOf(named: readonly string[]): iam.IPrincipal[] {
  return named.map((p) => (callerKind(p) === 'role' ? new iam.ArnPrincipal(p) : new iam.AccountPrincipal(p)));
}

/** A Deny's conditions matching exactly the principals an entry covers. */
function coveredBy(principal: string): Conditions {
  const kind = callerKind(principal);
  if (kind === 'role') return { ArnEquals: { 'aws:PrincipalArn': [principal] } };
  return { StringEquals: { [kind === 'account' ? 'aws:PrincipalAccount' : 'aws:PrincipalOrgID']: [principal] } };
}

/**
 * Allows the API to the callers listed at `level`: accounts and roles by name, organizations by
 * condition. On the whole API: the Deny statements decide what each reaches (every route of a
 * higher level is denied to those not listed at it; a caller limited to accounts is denied
 * everything but its accounts' routes), so naming each route here again would only spend the
 * policy's 8 KB.
 */
function allowStatements(config: StageConfig, level: AccessLevel): iam.PolicyStatement[] {
  const listed = config.callers.filter((c) => c.level === level).map((c) => c.principal);
  const named = listed.filter((p) => callerKind(p) !== 'organization');
  const organizations = listed.filter((p) => callerKind(p) === 'organization');
  const base = { effect: iam.Effect.ALLOW, actions: ['execute-api:Invoke'], resources: [shorthand('*')] };
  const statements: iam.PolicyStatement[] = [];
  if (named.length > 0) statements.push(new iam.PolicyStatement({ ...base, sid: `Invoke${pascalCase(level)}`, principals: principalsOf(named) }));
  if (organizations.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        ...base,
        sid: `Invoke${pascalCase(level)}Org`,
        principals: [new iam.AnyPrincipal()],
        conditions: { StringEquals: { 'aws:PrincipalOrgID': organizations } },
      }),
    );
  }
  return statements;
}

/**
 * A caller limited to some accounts: everything but its accounts' routes at its level is denied to
 * every principal the entry covers, so an identity policy allowing execute-api:Invoke on `*` (in
 * the API's own account) cannot widen it.
 */
function accountScopedDeny(caller: Caller & { accounts: string[] }, index: number): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: `DenyAccounts${String(index + 1)}Elsewhere`,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['execute-api:Invoke'],
    notResources: accountScopedPaths(caller.level, caller.accounts).map(arnPattern),
    conditions: coveredBy(caller.principal),
  });
}

/** The entries listed at `level` or above, by kind: who may call a route of that level. */
function eligibleFor(config: StageConfig, level: AccessLevel): Record<CallerKind, string[]> {
  const rank = ACCESS_LEVELS.indexOf(level);
  const eligible: Record<CallerKind, string[]> = { account: [], role: [], organization: [] };
  for (const caller of config.callers) {
    if (ACCESS_LEVELS.indexOf(caller.level) >= rank) eligible[callerKind(caller.principal)].push(caller.principal);
  }
  return eligible;
}

/** A concrete request path of a route (each parameter a plain value), to test what a pattern reaches. */
const sampleTail = (route: RouteKey): string => `${route.method}${route.path.replace(/\{[^}]+\}/g, 'x1')}`;

function iamMatches(pattern: string, text: string): boolean {
  const expression = pattern
    .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${expression}$`).test(text);
}

/**
 * The requests a Deny of `level` must spare: every route of a lower level. Account routes are one
 * pattern per method when all of that method's are lower (`GET/accounts/*\/?*`: something after
 * the account, never `/accounts/{account}` itself, with or without a trailing slash).
 */
function lowerLevelTails(level: AccessLevel): string[] {
  const lower = (route: RouteKey): boolean => ACCESS_LEVELS.indexOf(routeAccessLevel(route)) < ACCESS_LEVELS.indexOf(level);
  const scoped = apiRoutes().filter(isAccountScoped);
  const tails = apiRoutes()
    .filter(lower)
    .map((route) => {
      const compact = isAccountScoped(route) && scoped.filter((r) => r.method === route.method).every(lower);
      return compact ? `${route.method}/accounts/*/?*` : routeTail(route);
    });
  return [...new Set(tails)];
}

/**
 * Denies the routes that need exactly `level` (the lowest: every route) to every principal matching none of the entries
 * listed at that level or above (a Deny's conditions must all hold: not this account, not this
 * role, not this organization). Without such entries it denies them to everyone. Where a route's
 * pattern would also match a lower level's route (`GET/accounts/*`, the registry, matches
 * `GET/accounts/acme/sequences`: IAM's `*` crosses `/`), it denies everything but the lower
 * levels' routes instead.
 */
function denyStatement(config: StageConfig, level: AccessLevel): iam.PolicyStatement | undefined {
  const routes = apiRoutes().filter((route) => routeAccessLevel(route) === level);
  if (routes.length === 0) return undefined;
  const eligible = eligibleFor(config, level);
  const conditions: Conditions = {};
  if (eligible.account.length > 0) conditions['StringNotEquals'] = { 'aws:PrincipalAccount': eligible.account };
  if (eligible.role.length > 0) conditions['ArnNotEquals'] = { 'aws:PrincipalArn': eligible.role };
  if (eligible.organization.length > 0) {
    conditions['StringNotEquals'] = { ...conditions['StringNotEquals'], 'aws:PrincipalOrgID': eligible.organization };
  }
  const lowerSamples = apiRoutes()
    .filter((route) => ACCESS_LEVELS.indexOf(routeAccessLevel(route)) < ACCESS_LEVELS.indexOf(level))
    .map(sampleTail);
  const overreaches = routes.some((route) => lowerSamples.some((sample) => iamMatches(routeTail(route), sample)));
  // Those listed at no level are denied every route (the higher levels' Denies name them too): the whole API, in one pattern.
  const resources = level === ACCESS_LEVELS[0] ? [shorthand('*')] : routes.map((route) => shorthand(routeTail(route)));
  return new iam.PolicyStatement({
    sid: `Deny${pascalCase(level)}ToOthers`,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['execute-api:Invoke'],
    ...(overreaches ? { notResources: lowerLevelTails(level).map(arnPattern) } : { resources }),
    ...(Object.keys(conditions).length > 0 ? { conditions } : {}),
  });
}

/** The API's resource policy, always attached. With no callers, nobody can call. */
export function callerPolicy(config: StageConfig): iam.PolicyDocument {
  const statements = ACCESS_LEVELS.flatMap((level) => allowStatements(config, level));
  const scoped = config.callers.filter((caller): caller is Caller & { accounts: string[] } => caller.accounts !== undefined);
  statements.push(...scoped.map((caller, index) => accountScopedDeny(caller, index)));
  for (const level of ACCESS_LEVELS) {
    const deny = denyStatement(config, level);
    if (deny !== undefined) statements.push(deny);
  }
  return new iam.PolicyDocument({ statements });
}

/** Fails the synth when the policy would exceed API Gateway's limit (an upper bound: CloudFormation functions count as text). */
export function assertPolicySize(stack: Stack, policy: iam.PolicyDocument): void {
  const length = JSON.stringify(stack.resolve(policy.toJSON())).length;
  if (length > RESOURCE_POLICY_MAX_CHARS) {
    throw new Error(
      `The API resource policy would be about ${String(length)} characters, over API Gateway's ${String(RESOURCE_POLICY_MAX_CHARS)}: ` +
        'list fewer callers (an organization or an account instead of many roles, fewer account patterns) in infra/config.ts',
    );
  }
}
