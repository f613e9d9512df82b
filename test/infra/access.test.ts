import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS, apiRoutes, routeAccessLevel, routesForLevel } from '../../infra/access.ts';
import type { AccessLevel } from '../../infra/access.ts';
import type { StageConfigInput } from '../../infra/config.ts';
import { RESOURCE_POLICY_MAX_CHARS } from '../../infra/constructs/api.ts';
import { asArray, flatten, props, resourcesOfType, synthStage } from './support.ts';
import type { CfnTemplate, PolicyStatementJson, Synthesized } from './support.ts';

/** The account the API is deployed in (the template does not name it; the evaluation does). */
const API_ACCOUNT = '123456789012';
const ORG = 'o-a1b2c3d4e5';

/** Callers at every level: a whole account, roles in other accounts and in the API's own, an organization. */
const CALLERS = {
  read: '111122223333',
  write: 'arn:aws:iam::444455556666:role/billing-writer',
  rollover: 'arn:aws:iam::777788889999:role/ops-rollover',
} as const satisfies Record<AccessLevel, string>;
const SAME_ACCOUNT_ROLLOVER = `arn:aws:iam::${API_ACCOUNT}:role/oncall-rollover`;

const STAGES: Record<string, StageConfigInput> = {
  shared: {
    invoiceXpressAccount: 'acme',
    callers: [
      ...ACCESS_LEVELS.map((level) => ({ principal: CALLERS[level], level })),
      { principal: SAME_ACCOUNT_ROLLOVER, level: 'rollover' as const },
      { principal: ORG, level: 'read' as const },
    ],
  },
  readers: { invoiceXpressAccount: 'acme', callers: [{ principal: CALLERS.read, level: 'read' }] },
  // The API's own account listed at read: its principals read as their IAM policies allow (the managed policy).
  ownreaders: { invoiceXpressAccount: 'acme', callers: [{ principal: API_ACCOUNT, level: 'read' }] },
};

/** A concrete request path for a route (parameters filled in), as execute-api ARNs end. */
function requestPath(route: { method: string; path: string }): string {
  return `v1/${route.method}${route.path.replace(/\{[^}]+\}/g, 'some-value-1')}`;
}

/** IAM string matching: `*` any run of characters, `?` one. */
function iamMatches(pattern: string, text: string): boolean {
  const re = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`).test(text);
}

/** Who signs a request: its ARN (a role), account, organization, and whether its own IAM policies allow the call. */
interface Requester {
  readonly arn: string;
  readonly account: string;
  readonly orgId?: string;
  /** An administrator: execute-api:Invoke on `*`. Otherwise its IAM policies allow nothing here. */
  readonly identityAllowsAll: boolean;
}

const requester = (arn: string, identityAllowsAll: boolean, orgId?: string): Requester => ({
  arn,
  account: /::(\d{12}):/.exec(arn)![1]!,
  identityAllowsAll,
  ...(orgId !== undefined ? { orgId } : {}),
});

/** The request context keys the resource policy's conditions read (absent keys stay absent). */
function contextOf(who: Requester): Record<string, string | undefined> {
  return { 'aws:PrincipalArn': who.arn, 'aws:PrincipalAccount': who.account, 'aws:PrincipalOrgID': who.orgId };
}

function conditionsHold(condition: PolicyStatementJson['Condition'], who: Requester): boolean {
  const context = contextOf(who);
  return Object.entries(condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, raw]) => {
      expect(Object.keys(context)).toContain(key);
      const value = context[key];
      const values = asArray(raw).map(flatten);
      const equal = value !== undefined && values.includes(value);
      if (operator === 'StringEquals' || operator === 'ArnEquals') return equal;
      // Negated operators hold when the key is absent (a principal outside any organization).
      if (operator === 'StringNotEquals' || operator === 'ArnNotEquals') return !equal;
      throw new Error(`unexpected condition operator ${operator}`);
    }),
  );
}

/** How a statement's Principal covers the requester: by name, as any principal, or via its account's root (delegation). */
function principalMatch(statement: PolicyStatementJson, who: Requester): 'named' | 'any' | 'account' | undefined {
  const listed = asArray((statement.Principal as { AWS?: unknown } | undefined)?.AWS).map(flatten);
  if (listed.includes('*')) return 'any';
  if (listed.includes(who.arn)) return 'named';
  if (listed.includes(`arn:<Ref:AWS::Partition>:iam::${who.account}:root`)) return 'account';
  return undefined;
}

function policyOf(json: CfnTemplate): PolicyStatementJson[] {
  const [, api] = resourcesOfType(json, 'AWS::ApiGateway::RestApi')[0]!;
  return props<{ Policy?: { Statement: PolicyStatementJson[] } }>(api).Policy?.Statement ?? [];
}

/**
 * API Gateway's decision for an IAM-signed request: an explicit Deny in the resource policy wins;
 * in the API's own account an Allow in either the resource policy (naming the principal) or the
 * principal's IAM policy is enough; from another account both must allow.
 */
function decide(json: CfnTemplate, who: Requester, route: { method: string; path: string }): 'allow' | 'deny' {
  const resource = `execute-api:/${requestPath(route)}`;
  const applicable = policyOf(json).filter(
    (s) =>
      asArray(s.Action).includes('execute-api:Invoke') && asArray(s.Resource).some((r) => iamMatches(flatten(r), resource)) && conditionsHold(s.Condition, who),
  );
  if (applicable.some((s) => s.Effect === 'Deny' && principalMatch(s, who) !== undefined)) return 'deny';
  const grants = applicable.filter((s) => s.Effect === 'Allow').map((s) => principalMatch(s, who));
  const resourceAllows = grants.some((m) => m === 'named' || m === 'any');
  const delegated = grants.includes('account');
  if (who.account === API_ACCOUNT) return resourceAllows || who.identityAllowsAll ? 'allow' : 'deny';
  return (resourceAllows || delegated) && who.identityAllowsAll ? 'allow' : 'deny';
}

const key = (r: { method: string; path: string }): string => `${r.method} ${r.path}`;

/** The routes `who` reaches ("METHOD /path"). */
function reachable(json: CfnTemplate, who: Requester): string[] {
  return apiRoutes()
    .filter((route) => decide(json, who, route) === 'allow')
    .map((r) => `${r.method} ${r.path}`)
    .sort();
}

describe('route access levels (infra/access.ts)', () => {
  it('reads are GETs, POST /rollover is rollover, every other mutating route is write', () => {
    const expected: Record<string, AccessLevel> = {
      'GET /sequences': 'read',
      'GET /sequences/{id}': 'read',
      'POST /sequences': 'write',
      'PUT /sequences/{id}/register': 'write',
      'PUT /sequences/{id}/set_current': 'write',
      'POST /rollover': 'rollover',
      'GET /rollover/{year}': 'read',
      // A route added later gets its level from method and path alone.
      'GET /rollover/runs/{runId}': 'read',
    };
    for (const [route, level] of Object.entries(expected)) {
      const [method, path] = route.split(' ') as ['GET' | 'POST' | 'PUT', string];
      expect(routeAccessLevel({ method, path }), route).toBe(level);
    }
    const table = apiRoutes().map(key);
    expect(Object.keys(expected).filter((r) => !table.includes(r))).toEqual(table.includes('GET /rollover/runs/{runId}') ? [] : ['GET /rollover/runs/{runId}']);
  });

  it('each level includes the ones below it', () => {
    const read = routesForLevel('read').map(key);
    const write = routesForLevel('write').map(key);
    const rollover = routesForLevel('rollover').map(key);
    expect(read.every((r) => write.includes(r))).toBe(true);
    expect(write.every((r) => rollover.includes(r))).toBe(true);
    expect(rollover.sort()).toEqual(apiRoutes().map(key).sort());
    expect(read.every((r) => r.startsWith('GET '))).toBe(true);
    expect(write).not.toContain('POST /rollover');
  });
});

const ADMIN = `arn:aws:iam::${API_ACCOUNT}:role/Administrator`;
const all = (): string[] => apiRoutes().map(key).sort();
const upTo = (level: AccessLevel): string[] => routesForLevel(level).map(key).sort();

describe('the resource policy, evaluated as API Gateway decides', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStage('shared', { stages: STAGES });
  });

  it('denies an unlisted administrator of the same account POST /rollover (and every other route), whatever its IAM policy allows', () => {
    expect(decide(s.json, requester(ADMIN, true), { method: 'POST', path: '/rollover' })).toBe('deny');
    expect(reachable(s.json, requester(ADMIN, true))).toEqual([]);
  });

  it('lets a listed role of the same account reach its level with no IAM policy of its own', () => {
    expect(reachable(s.json, requester(SAME_ACCOUNT_ROLLOVER, false))).toEqual(all());
  });

  it('lets each listed caller of another account reach exactly its level, when its own IAM policy allows the call', () => {
    expect(reachable(s.json, requester(CALLERS.write, true))).toEqual(upTo('write'));
    expect(reachable(s.json, requester(CALLERS.write, true))).not.toContain('POST /rollover');
    expect(reachable(s.json, requester(CALLERS.rollover, true))).toEqual(all());
    // Both sides must allow a cross-account call.
    expect(reachable(s.json, requester(CALLERS.write, false))).toEqual([]);
  });

  it('an account entry covers every role of that account at its level; an organization entry every member account', () => {
    expect(reachable(s.json, requester('arn:aws:iam::111122223333:role/anything', true))).toEqual(upTo('read'));
    expect(upTo('read').every((r) => r.startsWith('GET '))).toBe(true);
    expect(reachable(s.json, requester('arn:aws:iam::135791357913:role/member', true, ORG))).toEqual(upTo('read'));
    expect(reachable(s.json, requester('arn:aws:iam::135791357913:role/member', true, 'o-zzzzzzzzzz'))).toEqual([]);
  });

  it('denies everything to unlisted principals elsewhere, and a listed role of an account listed at a lower level keeps to its own', () => {
    expect(reachable(s.json, requester('arn:aws:iam::210987654321:role/anything', true))).toEqual([]);
    // Another role of the write caller's account is not the write caller.
    expect(reachable(s.json, requester('arn:aws:iam::444455556666:role/other', true))).toEqual([]);
  });

  it("has one Allow per level (plus one for organizations) naming that level's methods, and one Deny per level naming the methods of exactly that level", () => {
    const statements = policyOf(s.json) as (PolicyStatementJson & { Sid: string })[];
    expect(statements.map((st) => st.Sid)).toEqual([
      'InvokeRead',
      'InvokeReadOrg',
      'InvokeWrite',
      'InvokeRollover',
      'DenyReadToOthers',
      'DenyWriteToOthers',
      'DenyRolloverToOthers',
    ]);
    for (const level of ACCESS_LEVELS) {
      const deny = statements.find((st) => st.Sid === `Deny${level[0]!.toUpperCase()}${level.slice(1)}ToOthers`)!;
      expect(asArray(deny.Resource).length).toBe(apiRoutes().filter((r) => routeAccessLevel(r) === level).length);
    }
    expect(JSON.stringify(s.json.Resources).length).toBeGreaterThan(0);
  });

  it('redeploys the API stage when the callers change (a resource policy needs a new deployment)', () => {
    const deployment = (json: CfnTemplate): string => resourcesOfType(json, 'AWS::ApiGateway::Deployment')[0]![0];
    const readers = synthStage('readers', { stages: STAGES });
    expect(deployment(readers.json)).not.toBe(deployment(s.json));
  });
});

describe('the resource policy of a stage without callers, and of one listing its own account', () => {
  it('without callers (dev as configured) nobody can call, an administrator included, and synth says so', () => {
    const dev = synthStage('dev');
    expect(policyOf(dev.json).length).toBeGreaterThan(0);
    expect(reachable(dev.json, requester(ADMIN, true))).toEqual([]);
    expect(reachable(dev.json, requester('arn:aws:iam::111122223333:role/anything', true))).toEqual([]);
    const warnings = Annotations.fromStack(dev.stack).findWarning('*', Match.stringLikeRegexp('no callers are listed'));
    expect(warnings).toHaveLength(1);
  });

  it("with its own account listed at read, the account's principals read as their IAM policies allow, and nothing more", () => {
    const own = synthStage('ownreaders', { stages: STAGES });
    expect(reachable(own.json, requester(ADMIN, true))).toEqual(upTo('read'));
    expect(decide(own.json, requester(ADMIN, true), { method: 'POST', path: '/rollover' })).toBe('deny');
    expect(reachable(own.json, requester(`arn:aws:iam::${API_ACCOUNT}:role/no-policy`, false))).toEqual([]);
  });
});

describe("the resource policy stays within API Gateway's 8 KB", () => {
  const roles = (n: number, level: AccessLevel) =>
    Array.from({ length: n }, (_, i) => ({ principal: `arn:aws:iam::${String(100000000000 + i)}:role/billing-service-${level}-${String(i)}`, level }));

  it('fits 20 callers spread over the levels', () => {
    const stages = { many: { invoiceXpressAccount: 'acme', callers: [...roles(8, 'read'), ...roles(8, 'write'), ...roles(4, 'rollover')] } };
    const { json } = synthStage('many', { stages });
    expect(JSON.stringify(policyOf(json)).length).toBeLessThan(RESOURCE_POLICY_MAX_CHARS);
  });

  it('refuses to synthesize a policy API Gateway would refuse, saying what to do', () => {
    const stages = { toomany: { invoiceXpressAccount: 'acme', callers: roles(60, 'rollover') } };
    expect(() => synthStage('toomany', { stages })).toThrow(/resource policy would be about \d+ characters, over API Gateway's 8192/);
  });
});

describe('the managed policies for same-account callers', () => {
  it('grant each level exactly its methods on this API, a read policy no mutating route', () => {
    const { json } = synthStage('dev');
    const policies = Object.fromEntries(
      resourcesOfType(json, 'AWS::IAM::ManagedPolicy').map(([, p]) => {
        const { ManagedPolicyName, PolicyDocument } = props<{ ManagedPolicyName: string; PolicyDocument: { Statement: PolicyStatementJson[] } }>(p);
        return [ManagedPolicyName, PolicyDocument.Statement];
      }),
    );
    expect(Object.keys(policies).sort()).toEqual(ACCESS_LEVELS.map((l) => `ix-sequences-dev-invoke-${l}`).sort());
    for (const level of ACCESS_LEVELS) {
      const statements = policies[`ix-sequences-dev-invoke-${level}`]!;
      expect(statements.every((st) => st.Effect === 'Allow' && st.Action === 'execute-api:Invoke')).toBe(true);
      const arns = statements.flatMap((st) => asArray(st.Resource).map(flatten));
      const prefix = /^arn:<Ref:AWS::Partition>:execute-api:<Ref:AWS::Region>:<Ref:AWS::AccountId>:<Ref:Api[0-9A-F]+>\//;
      expect(arns.every((a) => prefix.test(a))).toBe(true);
      const allowed = apiRoutes()
        .filter((route) => arns.some((a) => iamMatches(a.replace(prefix, ''), requestPath(route))))
        .map(key)
        .sort();
      expect(allowed, level).toEqual(routesForLevel(level).map(key).sort());
      if (level === 'read') expect(allowed.filter((r) => !r.startsWith('GET '))).toEqual([]);
    }
  });
});
