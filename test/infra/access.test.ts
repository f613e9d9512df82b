import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS, accountScopedPaths, apiRoutes, invokePolicyDocument, isAccountScoped, routeAccessLevel, routesForLevel } from '../../infra/access.ts';
import type { AccessLevel } from '../../infra/access.ts';
import type { StageConfigInput } from '../../infra/config.ts';
import { RESOURCE_POLICY_MAX_CHARS } from '../../infra/resource-policy.ts';
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
  admin: 'arn:aws:iam::121212121212:role/registry-admin',
} as const satisfies Record<AccessLevel, string>;
/** Callers limited to the registered account acme: another account's role, and roles of the API's own account. */
const ACME_WRITER = 'arn:aws:iam::246824682468:role/acme-billing';
const ACME_SAME_ACCOUNT = `arn:aws:iam::${API_ACCOUNT}:role/acme-operator`;
const ACME_PREFIX_READER = `arn:aws:iam::${API_ACCOUNT}:role/acme-family-reader`;
const SAME_ACCOUNT_ROLLOVER = `arn:aws:iam::${API_ACCOUNT}:role/oncall-rollover`;

const STAGES: Record<string, StageConfigInput> = {
  shared: {
    invoiceXpressAccount: 'acme',
    callers: [
      ...ACCESS_LEVELS.map((level) => ({ principal: CALLERS[level], level })),
      { principal: SAME_ACCOUNT_ROLLOVER, level: 'rollover' as const },
      { principal: ORG, level: 'read' as const },
      { principal: ACME_WRITER, level: 'write' as const, accounts: ['acme'] },
      { principal: ACME_SAME_ACCOUNT, level: 'rollover' as const, accounts: ['acme'] },
      { principal: ACME_PREFIX_READER, level: 'read' as const, accounts: ['acme*'] },
    ],
  },
  readers: { invoiceXpressAccount: 'acme', callers: [{ principal: CALLERS.read, level: 'read' }] },
  // The API's own account listed at read: its principals read as their IAM policies allow (the managed policy).
  ownreaders: { invoiceXpressAccount: 'acme', callers: [{ principal: API_ACCOUNT, level: 'read' }] },
};

/** A concrete request path for a route (parameters filled in, `{account}` with `account`), as execute-api ARNs end. */
function requestPath(route: { method: string; path: string }, account = 'acme'): string {
  return `v1/${route.method}${route.path.replace('{account}', account).replace(/\{[^}]+\}/g, 'some-value-1')}`;
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
function decide(json: CfnTemplate, who: Requester, route: { method: string; path: string }, account?: string): 'allow' | 'deny' {
  return decideTail(json, who, requestPath(route, account));
}

/** The decision for a request path (`v1/METHOD/path`), e.g. one API Gateway may see with a trailing slash. */
function decideTail(json: CfnTemplate, who: Requester, tail: string): 'allow' | 'deny' {
  // Shorthand patterns (execute-api:/...) meet the shorthand; whole ARNs (NotResource) meet the request's ARN.
  const matches = (pattern: string): boolean =>
    pattern.startsWith('arn:')
      ? iamMatches(pattern, `arn:aws:execute-api:eu-west-1:${API_ACCOUNT}:a1b2c3d4e5/${tail}`)
      : iamMatches(pattern, `execute-api:/${tail}`);
  const covers = (s: PolicyStatementJson & { NotResource?: unknown }): boolean =>
    s.NotResource !== undefined ? !asArray(s.NotResource).some((r) => matches(flatten(r))) : asArray(s.Resource).some((r) => matches(flatten(r)));
  const applicable = policyOf(json).filter((s) => asArray(s.Action).includes('execute-api:Invoke') && covers(s) && conditionsHold(s.Condition, who));
  if (applicable.some((s) => s.Effect === 'Deny' && principalMatch(s, who) !== undefined)) return 'deny';
  const grants = applicable.filter((s) => s.Effect === 'Allow').map((s) => principalMatch(s, who));
  const resourceAllows = grants.some((m) => m === 'named' || m === 'any');
  const delegated = grants.includes('account');
  if (who.account === API_ACCOUNT) return resourceAllows || who.identityAllowsAll ? 'allow' : 'deny';
  return (resourceAllows || delegated) && who.identityAllowsAll ? 'allow' : 'deny';
}

const key = (r: { method: string; path: string }): string => `${r.method} ${r.path}`;

/** The routes `who` reaches ("METHOD /path"), for the registered account `account` where a route names one. */
function reachable(json: CfnTemplate, who: Requester, account = 'acme'): string[] {
  return apiRoutes()
    .filter((route) => decide(json, who, route, account) === 'allow')
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
      // The registry is admin, whatever the method; the fan-out is a rollover route and a read.
      'GET /accounts': 'admin',
      'GET /accounts/{account}': 'admin',
      'PUT /accounts/{account}': 'admin',
      'DELETE /accounts/{account}': 'admin',
      'POST /rollover/dispatch': 'rollover',
      'GET /rollover/{year}/accounts': 'read',
      // A registered account's route needs what the default account's does.
      'GET /accounts/{account}/sequences': 'read',
      'POST /accounts/{account}/sequences': 'write',
      'PUT /accounts/{account}/sequences/{id}/set_current': 'write',
      'POST /accounts/{account}/rollover': 'rollover',
      'GET /accounts/{account}/rollover/runs/{runId}': 'read',
    };
    for (const [route, level] of Object.entries(expected)) {
      const [method, path] = route.split(' ') as ['GET' | 'POST' | 'PUT' | 'DELETE', string];
      expect(routeAccessLevel({ method, path }), route).toBe(level);
    }
    const table = apiRoutes().map(key);
    expect(Object.keys(expected).filter((r) => !table.includes(r))).toEqual(table.includes('GET /rollover/runs/{runId}') ? [] : ['GET /rollover/runs/{runId}']);
  });

  it('each level includes the ones below it', () => {
    const read = routesForLevel('read').map(key);
    const write = routesForLevel('write').map(key);
    const rollover = routesForLevel('rollover').map(key);
    const admin = routesForLevel('admin').map(key);
    expect(read.every((r) => write.includes(r))).toBe(true);
    expect(write.every((r) => rollover.includes(r))).toBe(true);
    expect(rollover.every((r) => admin.includes(r))).toBe(true);
    expect(admin.sort()).toEqual(apiRoutes().map(key).sort());
    expect(admin.filter((r) => !rollover.includes(r)).sort()).toEqual([
      'DELETE /accounts/{account}',
      'GET /accounts',
      'GET /accounts/{account}',
      'PUT /accounts/{account}',
    ]);
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
    expect(reachable(s.json, requester(SAME_ACCOUNT_ROLLOVER, false))).toEqual(upTo('rollover'));
  });

  it('lets each listed caller of another account reach exactly its level, when its own IAM policy allows the call', () => {
    expect(reachable(s.json, requester(CALLERS.write, true))).toEqual(upTo('write'));
    expect(reachable(s.json, requester(CALLERS.write, true))).not.toContain('POST /rollover');
    expect(reachable(s.json, requester(CALLERS.rollover, true))).toEqual(upTo('rollover'));
    expect(reachable(s.json, requester(CALLERS.admin, true))).toEqual(all());
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

  it('has one Allow per level (plus one for organizations), two statements per caller limited to accounts, and one Deny per level', () => {
    const statements = policyOf(s.json) as (PolicyStatementJson & { Sid: string; NotResource?: unknown })[];
    expect(statements.map((st) => st.Sid)).toEqual([
      'InvokeRead',
      'InvokeReadOrg',
      'InvokeWrite',
      'InvokeRollover',
      'InvokeAdmin',
      'DenyAccounts1Elsewhere',
      'DenyAccounts2Elsewhere',
      'DenyAccounts3Elsewhere',
      'DenyReadToOthers',
      'DenyWriteToOthers',
      'DenyRolloverToOthers',
      'DenyAdminToOthers',
    ]);
    // Every Allow is on the whole API: the Denies bound each caller.
    for (const st of statements.filter((x) => x.Effect === 'Allow')) expect(st.Resource).toBe('execute-api:/v1/*');
    // Those listed nowhere are denied the whole API; write and rollover name their own methods; admin's `/accounts/*`
    // would also match `/accounts/acme/sequences` (IAM's * crosses /), so its Deny spares the lower levels' routes instead.
    expect(statements.find((st) => st.Sid === 'DenyReadToOthers')!.Resource).toBe('execute-api:/v1/*');
    for (const level of ['write', 'rollover'] as const) {
      const deny = statements.find((st) => st.Sid === `Deny${level[0]!.toUpperCase()}${level.slice(1)}ToOthers`)!;
      expect(asArray(deny.Resource).length).toBe(apiRoutes().filter((r) => routeAccessLevel(r) === level).length);
    }
    const admin = statements.find((st) => st.Sid === 'DenyAdminToOthers')!;
    expect(admin.Resource).toBeUndefined();
    expect(asArray(admin.NotResource).map(flatten)).toContain('arn:*:execute-api:*:*:*/v1/GET/accounts/*/?*');
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

  it('fits 8 callers limited to an account each, beside 4 others', () => {
    const scoped = roles(8, 'write').map((caller, i) => ({ ...caller, accounts: [`customer-${String(i)}`] }));
    const stages = { scoped: { invoiceXpressAccount: 'acme', callers: [...scoped, ...roles(3, 'read'), ...roles(1, 'admin')] } };
    const { json } = synthStage('scoped', { stages });
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

describe('callers limited to some registered accounts (accounts in infra/config.ts)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStage('shared', { stages: STAGES });
  });
  const accountRoutesUpTo = (level: AccessLevel): string[] => upTo(level).filter((r) => r.includes(' /accounts/{account}/'));

  it.each([
    ['a role of another account, at write', ACME_WRITER, 'write'],
    ['a role of the API account whose IAM policy allows execute-api:Invoke on *, at rollover', ACME_SAME_ACCOUNT, 'rollover'],
  ] as const)("%s reaches exactly acme's routes of its level, and nothing else", (_label, arn, level) => {
    const who = requester(arn, true);
    expect(reachable(s.json, who, 'acme')).toEqual(accountRoutesUpTo(level));
    expect(accountRoutesUpTo(level).length).toBeGreaterThan(3);
    // No other account, however close its name; so no default account's, registry or fan-out route either.
    for (const other of ['acme2', 'acme-x', 'bob', 'acm', 'xacme']) expect(reachable(s.json, who, other), other).toEqual([]);
    for (const route of [
      'GET /sequences',
      'POST /sequences',
      'POST /rollover',
      'GET /accounts',
      'GET /accounts/{account}',
      'PUT /accounts/{account}',
      'DELETE /accounts/{account}',
      'POST /rollover/dispatch',
      'GET /rollover/{year}/accounts',
    ]) {
      const [method, path] = route.split(' ') as ['GET', string];
      expect(decide(s.json, who, { method, path }, 'acme'), route).toBe('deny');
    }
  });

  it('a write caller of acme cannot run its rollover, a rollover one can', () => {
    const route = { method: 'POST', path: '/accounts/{account}/rollover' };
    expect(decide(s.json, requester(ACME_WRITER, true), route, 'acme')).toBe('deny');
    expect(decide(s.json, requester(ACME_SAME_ACCOUNT, true), route, 'acme')).toBe('allow');
  });

  it('a prefix pattern (acme*) reaches every account whose name starts with it, and no other', () => {
    const who = requester(ACME_PREFIX_READER, true);
    for (const account of ['acme', 'acme2', 'acme-x']) expect(reachable(s.json, who, account), account).toEqual(accountRoutesUpTo('read'));
    for (const account of ['bob', 'acm', 'xacme']) expect(reachable(s.json, who, account), account).toEqual([]);
  });

  it('without an IAM policy of its own, a caller of another account reaches nothing; the same account needs none', () => {
    expect(reachable(s.json, requester(ACME_WRITER, false), 'acme')).toEqual([]);
    expect(reachable(s.json, requester(ACME_SAME_ACCOUNT, false), 'acme')).toEqual(accountRoutesUpTo('rollover'));
  });

  it('the registry is admin: an admin caller reaches it, a rollover caller does not, even with a trailing slash', () => {
    const registry = ['GET /accounts', 'GET /accounts/{account}', 'PUT /accounts/{account}', 'DELETE /accounts/{account}'];
    expect(
      reachable(s.json, requester(CALLERS.admin, true))
        .filter((r) => registry.includes(r))
        .sort(),
    ).toEqual([...registry].sort());
    expect(reachable(s.json, requester(CALLERS.rollover, true)).filter((r) => registry.includes(r))).toEqual([]);
    for (const who of [requester(CALLERS.rollover, true), requester(ACME_SAME_ACCOUNT, true), requester(ACME_WRITER, true)]) {
      for (const tail of ['v1/PUT/accounts/acme/', 'v1/GET/accounts/acme/', 'v1/DELETE/accounts/acme/', 'v1/GET/accounts/']) {
        expect(decideTail(s.json, who, tail), `${who.arn} ${tail}`).toBe('deny');
      }
    }
    // The rest of the rollover caller's level stays open: every account's routes, the fan-out.
    expect(reachable(s.json, requester(CALLERS.rollover, true), 'bob')).toEqual(upTo('rollover'));
  });
});

describe('what a caller limited to accounts is allowed, as execute-api paths (infra/access.ts)', () => {
  it('is one pattern per method where every account route of that method is within the level, else each route', () => {
    expect(accountScopedPaths('read', ['acme'])).toEqual(['GET/accounts/acme/*']);
    expect(accountScopedPaths('write', ['acme']).sort()).toEqual(['GET/accounts/acme/*', 'POST/accounts/acme/sequences', 'PUT/accounts/acme/*'].sort());
    expect(accountScopedPaths('rollover', ['acme', 'bob*']).sort()).toEqual(
      ['GET/accounts/acme/*', 'POST/accounts/acme/*', 'PUT/accounts/acme/*', 'GET/accounts/bob*/*', 'POST/accounts/bob*/*', 'PUT/accounts/bob*/*'].sort(),
    );
    expect(() => accountScopedPaths('read', ['*-eu'])).toThrow(/not an account name or prefix pattern: \*-eu/);
    // Every account route's sample path is matched for acme at rollover, none for bob.
    const tails = accountScopedPaths('rollover', ['acme']);
    for (const route of apiRoutes().filter(isAccountScoped)) {
      expect(
        tails.some((t) => iamMatches(`v1/${t}`, requestPath(route, 'acme'))),
        route.path,
      ).toBe(true);
      expect(
        tails.some((t) => iamMatches(`v1/${t}`, requestPath(route, 'bob'))),
        route.path,
      ).toBe(false);
    }
  });

  it('gives operators an identity policy per level and account pattern (npm run access-policy)', () => {
    const apiArn = 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5';
    const document = invokePolicyDocument({ apiArn, stageName: 'v1', level: 'write', accounts: ['acme'] });
    expect(document.Version).toBe('2012-10-17');
    expect(document.Statement).toHaveLength(1);
    expect(document.Statement[0]!.Resource.sort()).toEqual(
      [`${apiArn}/v1/GET/accounts/acme/*`, `${apiArn}/v1/POST/accounts/acme/sequences`, `${apiArn}/v1/PUT/accounts/acme/*`].sort(),
    );
    // Without accounts: the level's routes, as the managed policy of that level.
    const level = invokePolicyDocument({ apiArn, stageName: 'v1', level: 'read' });
    expect(level.Statement[0]!.Resource.length).toBe(routesForLevel('read').length);
  });
});

describe('npm run access-policy', () => {
  it('prints the policy of a level for some accounts, and refuses admin for some accounts', () => {
    const script = fileURLToPath(new URL('../../infra/access-policy.ts', import.meta.url));
    const printed = JSON.parse(execFileSync(process.execPath, [script, '--stage', 'prod', '--level', 'read', '--account', 'acme'], { encoding: 'utf8' })) as {
      Statement: { Resource: string[] }[];
    };
    expect(printed.Statement[0]!.Resource).toEqual(['arn:aws:execute-api:<region>:<account>:<api-id>/v1/GET/accounts/acme/*']);
    expect(() => execFileSync(process.execPath, [script, '--stage', 'prod', '--level', 'admin', '--account', 'acme'], { stdio: 'pipe' })).toThrow(
      /cannot be limited/,
    );
  });
});
