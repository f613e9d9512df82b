import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS, apiRoutes, routeAccessLevel, routesForLevel } from '../../infra/access.ts';
import type { AccessLevel } from '../../infra/access.ts';
import type { StageConfigInput } from '../../infra/config.ts';
import { asArray, flatten, props, resourcesOfType, synthStage } from './support.ts';
import type { CfnTemplate, PolicyStatementJson, Synthesized } from './support.ts';

/** One caller per level, in other accounts (a whole account and single roles). */
const CALLERS = {
  read: '111122223333',
  write: 'arn:aws:iam::444455556666:role/billing-writer',
  rollover: 'arn:aws:iam::777788889999:role/ops-rollover',
} as const satisfies Record<AccessLevel, string>;

const STAGES: Record<string, StageConfigInput> = {
  shared: { invoiceXpressAccount: 'acme', callers: ACCESS_LEVELS.map((level) => ({ principal: CALLERS[level], level })) },
  readers: { invoiceXpressAccount: 'acme', callers: [{ principal: CALLERS.read, level: 'read' }] },
};

/** A concrete request path for a route (parameters filled in), as execute-api ARNs end. */
function requestPath(route: { method: string; path: string }): string {
  return `v1/${route.method}${route.path.replace(/\{[^}]+\}/g, 'some-value-1')}`;
}

/** IAM string matching: `*` any run of characters, `?` one. */
function iamMatches(pattern: string, text: string): boolean {
  const re = pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&'))).join('');
  return new RegExp(`^${re}$`).test(text);
}

/** Whether a principal string (account id or role ARN) is among a statement's principals. */
function names(statement: PolicyStatementJson, principal: string): boolean {
  const listed = asArray((statement.Principal as { AWS?: unknown } | undefined)?.AWS).map(flatten);
  const account = /^\d{12}$/.test(principal) ? principal : /::(\d{12}):/.exec(principal)?.[1];
  return listed.some((p) => p === principal || p === `arn:<Ref:AWS::Partition>:iam::${account}:root`);
}

/** The routes the resource policy lets `principal` call ("METHOD /path"). */
function reachable(json: CfnTemplate, principal: string): string[] {
  const [, api] = resourcesOfType(json, 'AWS::ApiGateway::RestApi')[0]!;
  const statements = props<{ Policy?: { Statement: PolicyStatementJson[] } }>(api).Policy?.Statement ?? [];
  expect(statements.every((s) => s.Effect === 'Allow' && s.Action === 'execute-api:Invoke')).toBe(true);
  return apiRoutes()
    .filter((route) =>
      statements.some((s) => names(s, principal) && asArray(s.Resource).some((r) => iamMatches(String(r), `execute-api:/${requestPath(route)}`))),
    )
    .map((r) => `${r.method} ${r.path}`)
    .sort();
}

const key = (r: { method: string; path: string }): string => `${r.method} ${r.path}`;

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

describe('the resource policy, for callers at every level in other accounts', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStage('shared', { stages: STAGES });
  });

  it('has one Allow statement per level, naming exactly the methods of that level', () => {
    const [, api] = resourcesOfType(s.json, 'AWS::ApiGateway::RestApi')[0]!;
    const statements = props<{ Policy: { Statement: (PolicyStatementJson & { Sid: string })[] } }>(api).Policy.Statement;
    expect(statements.map((st) => st.Sid)).toEqual(['InvokeRead', 'InvokeWrite', 'InvokeRollover']);
    for (const [index, level] of ACCESS_LEVELS.entries()) {
      const statement = statements[index]!;
      expect(statement.Effect).toBe('Allow');
      expect(asArray(statement.Resource).length).toBe(routesForLevel(level).length);
    }
  });

  it('a read principal cannot reach any mutating route, only the GETs', () => {
    const routes = reachable(s.json, CALLERS.read);
    expect(routes).toEqual(routesForLevel('read').map(key).sort());
    expect(routes.filter((r) => !r.startsWith('GET '))).toEqual([]);
  });

  it('a write principal reaches reads and sequence changes, not POST /rollover', () => {
    const routes = reachable(s.json, CALLERS.write);
    expect(routes).toEqual(routesForLevel('write').map(key).sort());
    expect(routes).toContain('PUT /sequences/{id}/set_current');
    expect(routes).not.toContain('POST /rollover');
  });

  it('a rollover principal reaches every route; an unlisted principal none', () => {
    expect(reachable(s.json, CALLERS.rollover)).toEqual(apiRoutes().map(key).sort());
    expect(reachable(s.json, '210987654321')).toEqual([]);
    expect(reachable(s.json, 'arn:aws:iam::210987654321:role/anything')).toEqual([]);
    // An account entry covers every role of that account, at the account's level.
    expect(reachable(s.json, 'arn:aws:iam::111122223333:role/anything')).toEqual(routesForLevel('read').map(key).sort());
  });

  it('redeploys the API stage when the callers change (a resource policy needs a new deployment)', () => {
    const deployment = (json: CfnTemplate): string => resourcesOfType(json, 'AWS::ApiGateway::Deployment')[0]![0];
    const readers = synthStage('readers', { stages: STAGES });
    expect(deployment(readers.json)).not.toBe(deployment(s.json));
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
