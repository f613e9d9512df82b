import { readFileSync } from 'node:fs';
import { Token } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../infra/access.ts';
import { loadStageConfig } from '../../infra/config.ts';
import type { StageConfig } from '../../infra/config.ts';
import { INVOICEXPRESS_CALLS_PER_REQUEST, apiShareOf, methodThrottlingFor, throttlingFor } from '../../infra/constructs/api.ts';
import { RUN_TABLE_ACTIONS } from '../../infra/constructs/run-table.ts';
import { readsStageSecret } from '../../infra/constructs/function-specs.ts';
import { dispatchPartition } from '../../shared/fanout/dispatch-store.ts';
import { yearEndPartition } from '../../shared/rollover/year-end.ts';
import { FUNCTION_SPECS } from '../../infra/ix-sequences-stack.ts';
import {
  STAGES_UNDER_TEST,
  apiRoutes as templateRoutes,
  asArray,
  flatten,
  functionLogicalId,
  iamStatements,
  props,
  refTarget,
  resourcesOfType,
  synthStage,
} from './support.ts';
import type { CfnTemplate, PolicyStatementJson, Synthesized } from './support.ts';

const BUDGET_ENV = ['IX_BUDGET_TABLE_NAME', 'IX_BUDGET_PER_MINUTE', 'IX_BUDGET_BURST', 'IX_BUDGET_ROLLOVER_RESERVE'];
const BASE_ENV = ['STAGE', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME'];
const IX_ENV = ['IX_SECRET_ID', 'SECRET_TTL_SECONDS', 'IX_TIMEOUT_MS', 'IX_ACCOUNTS_TABLE_NAME', ...BUDGET_ENV];
const RUN_TABLE_ENV = ['ROLLOVER_TABLE_NAME', 'IX_ACCOUNT_NAME'];
const ROLLOVER_ENV = ['SERIE_TEMPLATES', 'ROLLOVER_TIME_ZONE', ...RUN_TABLE_ENV];
const PUBLISH_ENV = ['NOTIFICATIONS_TABLE_NAME', 'NOTIFICATIONS_QUEUE_URL', 'EVENT_BUS_NAME'];
/** shared/runtime/env.ts AccountAdminEnvSchema: no stage secret, the registry, the key check's timeout and budget, the accounts' secrets' key. */
const ADMIN_ENV = ['IX_TIMEOUT_MS', ...BUDGET_ENV, 'IX_ACCOUNTS_TABLE_NAME', 'IX_ACCOUNT_NAME', 'ACCOUNT_SECRETS_KMS_KEY_ID'];
const DISPATCH_ENV = ['ROLLOVER_TABLE_NAME', 'IX_ACCOUNTS_TABLE_NAME', 'ROLLOVER_QUEUE_URL'];

/** Each function's variables besides STAGE and the logger's, spelled out. */
const EXPECTED_ENV: Record<string, string[]> = {
  'list-sequences': IX_ENV,
  'get-sequence': IX_ENV,
  'create-sequence': [...IX_ENV, ...RUN_TABLE_ENV, ...PUBLISH_ENV],
  'register-sequence': [...IX_ENV, ...RUN_TABLE_ENV, ...PUBLISH_ENV],
  'set-current-sequence': [...IX_ENV, ...PUBLISH_ENV],
  'rollover-run': [...IX_ENV, ...ROLLOVER_ENV, ...PUBLISH_ENV],
  'rollover-status': [...IX_ENV, ...ROLLOVER_ENV],
  'rollover-run-record': RUN_TABLE_ENV,
  'rollover-scheduled': [...IX_ENV, ...ROLLOVER_ENV, ...PUBLISH_ENV],
  'account-put': ADMIN_ENV,
  'account-delete': ADMIN_ENV,
  'account-get': ['IX_ACCOUNTS_TABLE_NAME'],
  'accounts-list': ['IX_ACCOUNTS_TABLE_NAME'],
  'rollover-dispatch': DISPATCH_ENV,
  'rollover-dispatcher': DISPATCH_ENV,
  'rollover-worker': [...IX_ENV, ...ROLLOVER_ENV, ...PUBLISH_ENV, 'ALARM_TOPIC_ARN'],
  'rollover-accounts': ['ROLLOVER_TABLE_NAME', 'IX_ACCOUNTS_TABLE_NAME'],
  'notifications-list': ['NOTIFICATIONS_TABLE_NAME'],
  'notification-get': ['NOTIFICATIONS_TABLE_NAME'],
  'notification-redeliver': ['NOTIFICATIONS_TABLE_NAME', 'NOTIFICATIONS_QUEUE_URL'],
  'notifications-redeliver': ['NOTIFICATIONS_TABLE_NAME', 'NOTIFICATIONS_QUEUE_URL'],
  'notification-delivery': ['NOTIFICATIONS_TABLE_NAME', 'NOTIFICATIONS_QUEUE_URL', 'NOTIFICATIONS_DLQ_URL', 'WEBHOOKS_SECRET_ID'],
};

function statementActions(s: PolicyStatementJson): string[] {
  return asArray(s.Action);
}

/** Statements of the IAM policies attached to a function's role. */
function roleStatements(json: CfnTemplate, functionName: string): PolicyStatementJson[] {
  const fnId = functionLogicalId(json, functionName);
  const roleId = refTarget(props(json.Resources[fnId]!)['Role']);
  return resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, p]) => asArray(props<{ Roles?: unknown[] }>(p).Roles).some((r) => refTarget(r) === roleId))
    .flatMap(([, p]) => props<{ PolicyDocument: { Statement: PolicyStatementJson[] } }>(p).PolicyDocument.Statement);
}

function envOf(json: CfnTemplate, functionName: string): Record<string, unknown> {
  const id = functionLogicalId(json, functionName);
  return props<{ Environment: { Variables: Record<string, unknown> } }>(json.Resources[id]!).Environment.Variables;
}

describe('throttlingFor (stage throttling from the InvoiceXpress allowance)', () => {
  it.each([100, 60, 250, 1000, 7])('never lets more than %i requests through in a minute, and lets some through', (perMinute) => {
    const { rateLimit, burstLimit } = throttlingFor(perMinute);
    expect(rateLimit).toBeGreaterThan(0);
    expect(burstLimit).toBeGreaterThanOrEqual(1);
    expect(burstLimit + 60 * rateLimit).toBeLessThanOrEqual(perMinute);
  });

  it('gives the documented figures for 100 requests a minute', () => {
    expect(throttlingFor(100)).toEqual({ rateLimit: 0.833, burstLimit: 50 });
  });

  it("per method: what a minute of one method admits costs at most the API's share of the budget", () => {
    const share = apiShareOf({ invoiceXpressRequestsPerMinute: 100, invoiceXpressBudget: { burst: 20, rolloverReserve: 10 } });
    expect(share).toBe(90);
    for (const [route, calls] of Object.entries(INVOICEXPRESS_CALLS_PER_REQUEST)) {
      if (calls === 0) continue;
      const { rateLimit, burstLimit } = methodThrottlingFor(share, calls);
      expect((burstLimit + 60 * rateLimit) * calls, route).toBeLessThanOrEqual(share + calls);
    }
    expect(methodThrottlingFor(share, 1)).toEqual({ rateLimit: 0.75, burstLimit: 45 });
    expect(methodThrottlingFor(share, 3)).toEqual({ rateLimit: 0.25, burstLimit: 15 });
  });
});

describe.each(STAGES_UNDER_TEST)('stack for stage %s', (stage) => {
  let synthesized: Synthesized;
  let json: CfnTemplate;
  let config: StageConfig;
  let secretId: string;
  let tableId: string;
  const name = (entry: string): string => `ix-sequences-${stage}-${entry}`;

  beforeAll(() => {
    synthesized = synthStage(stage);
    json = synthesized.json;
    config = loadStageConfig(stage);
    // The InvoiceXpress secret and the run table; the webhooks secret and the notifications table are notifications.test.ts's.
    const secrets = resourcesOfType(json, 'AWS::SecretsManager::Secret');
    expect(secrets.map(([, r]) => props(r)['Name']).sort()).toEqual([`ix-sequences/${stage}`, `ix-sequences/${stage}/webhooks`]);
    secretId = secrets.find(([, r]) => props(r)['Name'] === `ix-sequences/${stage}`)![0];
    const tables = resourcesOfType(json, 'AWS::DynamoDB::Table');
    expect(tables.map(([, r]) => props(r)['TableName']).sort()).toEqual([`ix-sequences-${stage}-notifications`, `ix-sequences-${stage}-rollover-runs`]);
    tableId = tables.find(([, r]) => props(r)['TableName'] === `ix-sequences-${stage}-rollover-runs`)![0];
  });

  it('is named after the stage and synthesizes without an account or region (env-agnostic)', () => {
    expect(synthesized.stack.stackName).toBe(`IxSequences-${stage}`);
    expect(synthesized.stack.environment).toBe('aws://unknown-account/unknown-region');
    expect(Token.isUnresolved(synthesized.stack.account)).toBe(true);
    expect(Token.isUnresolved(synthesized.stack.region)).toBe(true);
    expect(synthesized.stack.terminationProtection).toBe(stage === 'prod');
  });

  it('exposes exactly the routes of the route table, each an IAM-authorized Lambda proxy to its own function', () => {
    const routes = templateRoutes(json);
    const expected = apiRoutes();
    expect(expected.length).toBeGreaterThanOrEqual(7);
    expect([...routes.keys()].sort()).toEqual(expected.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of expected) {
      const r = routes.get(`${route.method} ${route.path}`);
      expect(r?.authorizationType, route.path).toBe('AWS_IAM');
      expect(r?.integrationType, route.path).toBe('AWS_PROXY');
      expect(r?.functionId, route.path).toBe(functionLogicalId(json, name(route.entry)));
    }
    const methods = resourcesOfType(json, 'AWS::ApiGateway::Method').map(([, m]) => props(m));
    expect(methods.filter((m) => m['AuthorizationType'] !== 'AWS_IAM')).toEqual([]);
    expect(methods.filter((m) => m['HttpMethod'] === 'OPTIONS')).toEqual([]);
  });

  it('throttles the stage from the InvoiceXpress allowance, traces, access-logs (JSON) and publishes per-method metrics', () => {
    const throttling = throttlingFor(apiShareOf(config));
    synthesized.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: throttling.rateLimit,
          ThrottlingBurstLimit: throttling.burstLimit,
          DataTraceEnabled: false,
          MetricsEnabled: true,
        }),
      ]),
    });
    // GET /sequences/{id} (one InvoiceXpress call) and POST .../register (three) get their own limits.
    synthesized.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: 'GET',
          ResourcePath: '/~1sequences~1{id}',
          ThrottlingBurstLimit: methodThrottlingFor(apiShareOf(config), 1).burstLimit,
        }),
        Match.objectLike({
          HttpMethod: 'PUT',
          ResourcePath: '/~1sequences~1{id}~1register',
          ThrottlingBurstLimit: methodThrottlingFor(apiShareOf(config), 3).burstLimit,
          MetricsEnabled: true,
        }),
      ]),
    });
    // A registered account's route: the registered accounts' share, not the default account's.
    synthesized.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: 'GET',
          ResourcePath: '/~1accounts~1{account}~1sequences~1{id}',
          ThrottlingBurstLimit: methodThrottlingFor(config.registeredAccountsRequestsPerMinute, 1).burstLimit,
        }),
      ]),
    });
    const [, apiStage] = resourcesOfType(json, 'AWS::ApiGateway::Stage')[0]!;
    const access = props<{ AccessLogSetting: { Format: string; DestinationArn: unknown } }>(apiStage).AccessLogSetting;
    const format = JSON.parse(access.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(JSON.stringify(access.DestinationArn)).toContain('ApiAccessLogs');
    // Every log group (one per function, API access and execution logs) has the stage's retention.
    const logGroups = resourcesOfType(json, 'AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(FUNCTION_SPECS.length + 2);
    for (const [id, lg] of logGroups) expect(props(lg)['RetentionInDays'], id).toBe(config.logRetentionDays);
    synthesized.template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: Match.anyValue() }, '/v1']] },
    });
    // No callers configured in the standard stages: a resource policy that denies every level to everyone.
    const policy = props<{ Policy: { Statement: PolicyStatementJson[] } }>(resourcesOfType(json, 'AWS::ApiGateway::RestApi')[0]![1]).Policy;
    expect(policy.Statement.map((s) => [s.Effect, s.Condition])).toEqual([
      ['Deny', undefined],
      ['Deny', undefined],
      ['Deny', undefined],
      ['Deny', undefined],
    ]);
  });

  it('runs every function on nodejs24.x / arm64 with active tracing, its own log group and its timeout', () => {
    const functions = resourcesOfType(json, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(FUNCTION_SPECS.length);
    const logGroups = Object.fromEntries(resourcesOfType(json, 'AWS::Logs::LogGroup'));
    const seenLogGroups = new Set<string>();
    for (const [id, fn] of functions) {
      const p = props<{
        FunctionName: string;
        Runtime: string;
        Architectures: string[];
        TracingConfig: { Mode: string };
        Timeout: number;
        MemorySize: number;
        LoggingConfig: { LogGroup: unknown };
        Handler: string;
        ReservedConcurrentExecutions?: number;
      }>(fn);
      expect(p.Runtime, id).toBe('nodejs24.x');
      expect(p.Architectures, id).toEqual(['arm64']);
      expect(p.TracingConfig.Mode, id).toBe('Active');
      expect(p.Handler, id).toBe('index.handler');
      expect(p.MemorySize, id).toBe(512);
      if (p.FunctionName === name('rollover-scheduled') || p.FunctionName === name('rollover-dispatcher')) {
        expect(p.Timeout, id).toBe(300);
        expect(p.ReservedConcurrentExecutions, id).toBe(1);
      } else if (p.FunctionName === name('rollover-worker')) {
        // One account's run from the queue (its visibility timeout is six times this); the event source bounds its concurrency.
        expect(p.Timeout, id).toBe(150);
        expect(p.ReservedConcurrentExecutions, id).toBeUndefined();
      } else if (p.FunctionName === name('notification-delivery')) {
        // Not behind API Gateway: a batch of 15 s attempts and their records.
        expect(p.Timeout, id).toBe(60);
      } else {
        // Every API function answers before API Gateway's 29 s integration limit.
        expect(p.Timeout, id).toBe(28);
        expect(p.ReservedConcurrentExecutions, id).toBeUndefined();
      }
      const logGroupId = refTarget(p.LoggingConfig.LogGroup);
      expect(logGroupId, id).toBeDefined();
      const logGroup = logGroups[logGroupId!];
      expect(props(logGroup!)['RetentionInDays'], id).toBe(config.logRetentionDays);
      expect(props(logGroup!)['LogGroupName'], id).toBe(`/aws/lambda/${p.FunctionName}`);
      seenLogGroups.add(logGroupId!);
    }
    expect(seenLogGroups.size).toBe(FUNCTION_SPECS.length);
  });

  it('gives each function exactly the environment it needs (no NODE_OPTIONS)', () => {
    expect(Object.keys(EXPECTED_ENV).sort()).toEqual(FUNCTION_SPECS.map((spec) => spec.entry).sort());
    for (const spec of FUNCTION_SPECS) {
      const env = envOf(json, name(spec.entry));
      expect(Object.keys(env).sort(), spec.entry).toEqual([...BASE_ENV, ...EXPECTED_ENV[spec.entry]!].sort());
      expect(env).toMatchObject({ STAGE: stage, POWERTOOLS_LOG_LEVEL: config.logLevel, POWERTOOLS_SERVICE_NAME: 'ix-sequences' });
      if ('IX_SECRET_ID' in env) expect(refTarget(env['IX_SECRET_ID'])).toBe(secretId);
      if ('SECRET_TTL_SECONDS' in env) expect(env['SECRET_TTL_SECONDS']).toBe(String(config.secretTtlSeconds));
      if ('IX_TIMEOUT_MS' in env) expect(env['IX_TIMEOUT_MS']).toBe(String(config.ixTimeoutMs));
      if ('IX_ACCOUNT_NAME' in env) expect(env['IX_ACCOUNT_NAME']).toBe(config.invoiceXpressAccount);
      if ('SERIE_TEMPLATES' in env) expect(env['SERIE_TEMPLATES']).toBe('{year},{year}B,{year}C');
      if ('ROLLOVER_TIME_ZONE' in env) expect(env['ROLLOVER_TIME_ZONE']).toBe('Europe/Lisbon');
      // The run table holds the rollover's items, the budgets and the account registry alike.
      for (const variable of ['ROLLOVER_TABLE_NAME', 'IX_BUDGET_TABLE_NAME', 'IX_ACCOUNTS_TABLE_NAME']) {
        if (variable in env) expect(refTarget(env[variable]), `${spec.entry} ${variable}`).toBe(tableId);
      }
      if ('IX_BUDGET_PER_MINUTE' in env) {
        expect(env).toMatchObject({
          IX_BUDGET_PER_MINUTE: String(config.invoiceXpressRequestsPerMinute),
          IX_BUDGET_BURST: String(config.invoiceXpressBudget.burst),
          IX_BUDGET_ROLLOVER_RESERVE: String(config.invoiceXpressBudget.rolloverReserve),
        });
      }
    }
    // Every function that calls InvoiceXpress resolves accounts through the registry (shared/runtime/env.ts requires it in AWS).
    for (const spec of FUNCTION_SPECS.filter((s) => s.invoiceXpress))
      expect(envOf(json, name(spec.entry)), spec.entry).toHaveProperty('IX_ACCOUNTS_TABLE_NAME');
    const kmsKeyId = envOf(json, name('account-put'))['ACCOUNT_SECRETS_KMS_KEY_ID'];
    expect(json.Resources[refTarget(kmsKeyId)!]?.Type).toBe('AWS::KMS::Key');
    expect(kmsKeyId).toEqual({ 'Fn::GetAtt': [refTarget(kmsKeyId), 'Arn'] });
    expect(envOf(json, name('account-delete'))['ACCOUNT_SECRETS_KMS_KEY_ID']).toEqual(kmsKeyId);
    const queueUrl = envOf(json, name('rollover-dispatch'))['ROLLOVER_QUEUE_URL'];
    expect(props(json.Resources[refTarget(queueUrl)!]!)['QueueName']).toBe(name('rollover-queue'));
    expect(envOf(json, name('rollover-dispatcher'))['ROLLOVER_QUEUE_URL']).toEqual(queueUrl);
    const topicArn = envOf(json, name('rollover-worker'))['ALARM_TOPIC_ARN'];
    expect(props(json.Resources[refTarget(topicArn)!]!)['TopicName']).toBe(name('alarms'));
    // The run records' function reads the table by the configured account: it never calls InvoiceXpress.
    // The notification routes and the delivery function read the notifications table, not InvoiceXpress.
    const plain = FUNCTION_SPECS.filter((spec) => !spec.invoiceXpress && spec.notifications === undefined && spec.registry === undefined);
    expect(plain.map((spec) => spec.entry)).toEqual(['rollover-run-record']);
  });

  it('keeps the run table as specified: pk/sk strings, on demand, point-in-time recovery, TTL on expiresAt', () => {
    const table = props<Record<string, unknown>>(json.Resources[tableId]!);
    expect(table).toMatchObject({
      TableName: `ix-sequences-${stage}-rollover-runs`,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect(table['GlobalSecondaryIndexes']).toBeUndefined();
  });

  it('grants each function exactly its calls on the run table, each on one kind of partition (dynamodb:LeadingKeys)', () => {
    const D = config.invoiceXpressAccount;
    const rw = ['DeleteItem', 'GetItem', 'PutItem', 'Query'];
    const lease = ['DeleteItem', 'GetItem', 'PutItem'];
    const budget = ['GetItem', 'UpdateItem'];
    // An account's own items for any account: `*` with the service's partitions (and for locks and runs the leases) excluded.
    const anyRollover = `*#???? but not BUDGET#*,YEAREND#*,DISPATCH#*,*#sequence#*`;
    const anyLease = `*#sequence#* but not BUDGET#*,YEAREND#*,DISPATCH#*`;
    const registryRead = { ACCOUNTS: ['GetItem', 'Query'] };
    const apiAnyAccount = { 'BUDGET#*': budget, ...registryRead };
    const expected: Record<string, Record<string, string[]>> = {
      'list-sequences': apiAnyAccount,
      'get-sequence': apiAnyAccount,
      'create-sequence': { ...apiAnyAccount, [anyLease]: lease },
      'register-sequence': { ...apiAnyAccount, [anyLease]: lease },
      'set-current-sequence': apiAnyAccount,
      'rollover-run': { ...apiAnyAccount, [anyRollover]: rw, [anyLease]: lease, 'YEAREND#*': ['UpdateItem'] },
      'rollover-status': { ...apiAnyAccount, [anyRollover]: ['GetItem', 'Query'] },
      'rollover-run-record': { [anyRollover]: ['GetItem', 'Query'] },
      // The default account's schedules: its own items only, and no registry.
      'rollover-scheduled': { [`BUDGET#${D}`]: budget, [`${D}#????`]: rw, [`${D}#sequence#*`]: lease },
      'account-put': { 'BUDGET#*': budget, ACCOUNTS: ['GetItem', 'PutItem'] },
      'account-delete': { ACCOUNTS: ['GetItem', 'PutItem'] },
      'account-get': registryRead,
      'accounts-list': registryRead,
      'rollover-dispatch': { ...registryRead, 'DISPATCH#*': ['GetItem', 'PutItem', 'UpdateItem'] },
      'rollover-dispatcher': { ...registryRead, 'DISPATCH#*': ['GetItem', 'PutItem', 'UpdateItem'] },
      'rollover-worker': {
        ...apiAnyAccount,
        [anyRollover]: rw,
        [anyLease]: lease,
        'YEAREND#*': ['Query', 'UpdateItem'],
        'DISPATCH#*': ['GetItem', 'PutItem', 'Query', 'UpdateItem'],
      },
      'rollover-accounts': { ...registryRead, 'YEAREND#*': ['Query'] },
    };
    const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
    const onRunTable = (st: PolicyStatementJson): boolean => JSON.stringify(st.Resource).includes(`"${tableId}"`);
    for (const spec of FUNCTION_SPECS) {
      const statements = roleStatements(json, name(spec.entry)).filter((st) => statementActions(st).some((a) => a.startsWith('dynamodb:')) && onRunTable(st));
      const found: Record<string, string[]> = {};
      for (const st of statements) {
        expect(asArray(st.Resource), spec.entry).toEqual([tableArn]);
        // Only these two operators: every leading key must match (ForAllValues), and none may be excluded.
        expect(Object.keys(st.Condition ?? {}).sort(), spec.entry).toEqual(
          st.Condition?.['ForAllValues:StringNotLike'] === undefined ? ['ForAllValues:StringLike'] : ['ForAllValues:StringLike', 'ForAllValues:StringNotLike'],
        );
        const like = asArray(st.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']).join(',');
        const notLike = asArray(st.Condition?.['ForAllValues:StringNotLike']?.['dynamodb:LeadingKeys']).join(',');
        const key = notLike === '' ? like : `${like} but not ${notLike}`;
        expect(found[key], `${spec.entry}: one statement per kind of partition`).toBeUndefined();
        found[key] = statementActions(st)
          .map((a) => a.replace('dynamodb:', ''))
          .sort();
      }
      expect(found, spec.entry).toEqual(expected[spec.entry] ?? {});
    }
    expect(Object.keys(expected).every((entry) => FUNCTION_SPECS.some((spec) => spec.entry === entry))).toBe(true);
    // The partitions the grants name are the stores' own (shared/rollover/year-end.ts, shared/fanout/dispatch-store.ts).
    expect(yearEndPartition(2027)).toBe('YEAREND#2027');
    expect(dispatchPartition('d1')).toBe('DISPATCH#d1');
    expect([...RUN_TABLE_ACTIONS.lease].sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
    // Nothing updates a lock, run or lease in place (shared/rollover/run-table.ts puts and deletes whole items).
    expect([...RUN_TABLE_ACTIONS.write].sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    // Nothing else in the stack touches the run table.
    const others = iamStatements(json).filter(
      ({ owner, statement }) =>
        statementActions(statement).some((a) => a.startsWith('dynamodb:')) &&
        onRunTable(statement) &&
        !FUNCTION_SPECS.some((spec) => owner.startsWith(`Functions${spec.entry.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase())}Role`)),
    );
    expect(others).toEqual([]);
  });

  it("lets each function that calls InvoiceXpress read only this stage's secret, and no other function", () => {
    for (const spec of FUNCTION_SPECS) {
      const fnId = functionLogicalId(json, name(spec.entry));
      const roleId = refTarget(props(json.Resources[fnId]!)['Role']);
      // No AWS managed policy (e.g. AWSLambdaBasicExecutionRole) on function roles.
      expect(props(json.Resources[roleId!]!)['ManagedPolicyArns'], spec.entry).toBeUndefined();
      const onServiceSecret = (s: PolicyStatementJson): boolean => JSON.stringify(s.Resource).includes(`"${secretId}"`);
      const secretReads = roleStatements(json, name(spec.entry)).filter(
        (s) => statementActions(s).includes('secretsmanager:GetSecretValue') && onServiceSecret(s),
      );
      // The worker serves registered accounts only: their secrets (account-access.test.ts), never the stage's.
      expect(secretReads, spec.entry).toHaveLength(readsStageSecret(spec) ? 1 : 0);
      if (readsStageSecret(spec)) expect(secretReads[0]!.Resource, spec.entry).toEqual({ Ref: secretId });
    }
    expect(FUNCTION_SPECS.filter((spec) => spec.invoiceXpress && !readsStageSecret(spec)).map((spec) => spec.entry)).toEqual(['rollover-worker']);
    const onStageSecret = iamStatements(json).filter(({ statement }) => JSON.stringify(statement.Resource).includes(`"${secretId}"`));
    expect(onStageSecret.length).toBe(FUNCTION_SPECS.filter(readsStageSecret).length);
  });

  it('has no IAM statement with a wildcard action, and a "*" resource only for X-Ray or a route path parameter', () => {
    const statements = [
      ...iamStatements(json),
      ...resourcesOfType(json, 'AWS::IAM::ManagedPolicy').flatMap(([id, p]) =>
        props<{ PolicyDocument: { Statement: PolicyStatementJson[] } }>(p).PolicyDocument.Statement.map((statement) => ({ owner: id, statement })),
      ),
    ];
    for (const { owner, statement } of statements) {
      for (const action of statementActions(statement)) {
        expect(action, owner).not.toBe('*');
        expect(action, owner).not.toMatch(/:\*$/);
      }
      const resources = asArray(statement.Resource);
      if (statementActions(statement).every((a) => a === 'execute-api:Invoke')) {
        // Wildcards only where a route has a path parameter: /v1/<METHOD>/<path with * per parameter>.
        for (const r of resources)
          expect(flatten(r), owner).toMatch(
            /^arn:<Ref:AWS::Partition>:execute-api:<Ref:AWS::Region>:<Ref:AWS::AccountId>:<Ref:Api[0-9A-F]+>\/v1\/(GET|POST|PUT|DELETE)\/[a-z_/*]+$/,
          );
        continue;
      }
      const flat = resources.map((r) => (typeof r === 'string' ? r : flatten(r)));
      if (flat.some((r) => r.includes('*'))) {
        // The registered accounts' secrets: the * is the account's name under this stage's path, for Secrets Manager calls only.
        if (statementActions(statement).every((a) => a.startsWith('secretsmanager:'))) {
          expect(flat, owner).toEqual([
            `arn:<Ref:AWS::Partition>:secretsmanager:<Ref:AWS::Region>:<Ref:AWS::AccountId>:secret:ix-sequences/${stage}/accounts/*`,
          ]);
          continue;
        }
        expect(resources, owner).toEqual(['*']);
        expect(
          statementActions(statement).every((a) => a.startsWith('xray:')),
          owner,
        ).toBe(true);
      }
    }
  });

  it('schedules prepare, activate every 15 minutes and three verifies, in Europe/Lisbon, each naming itself in its payload', () => {
    const queues = resourcesOfType(json, 'AWS::SQS::Queue').filter(([, q]) => props(q)['QueueName'] === name('rollover-dlq'));
    expect(queues).toHaveLength(1);
    const [dlqId, dlq] = queues[0]!;
    expect(props(dlq)['SqsManagedSseEnabled']).toBe(true);
    const scheduledFn = functionLogicalId(json, name('rollover-scheduled'));

    const schedules = resourcesOfType(json, 'AWS::Scheduler::Schedule').map(([, s]) =>
      props<{
        Name: string;
        ScheduleExpression: string;
        ScheduleExpressionTimezone: string;
        State: string;
        FlexibleTimeWindow: { Mode: string };
        Target: {
          Arn: unknown;
          Input: string;
          RetryPolicy?: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
          DeadLetterConfig?: { Arn: unknown };
          RoleArn: unknown;
        };
      }>(s),
    );
    // The default account's schedules; the dispatcher's (UTC, registered accounts) are fanout.test.ts's.
    const ofRollover = schedules.filter((s) => refTarget(s.Target.Arn) === scheduledFn);
    expect(
      schedules.filter((s) => !ofRollover.includes(s)).every((s) => refTarget(s.Target.Arn) === functionLogicalId(json, name('rollover-dispatcher'))),
    ).toBe(true);
    const byName = Object.fromEntries(ofRollover.map((s) => [s.Name, s]));
    const expected: Record<string, [string, string]> = {
      prepare: ['prepare', 'cron(0 9 1-31 12 ? *)'],
      activate: ['activate', 'cron(0/15 0-5 1 1 ? *)'],
      'verify-0100': ['verify', 'cron(0 1 1 1 ? *)'],
      'verify-0630': ['verify', 'cron(30 6 1 1 ? *)'],
      'verify-0900': ['verify', 'cron(0 9 1 1 ? *)'],
    };
    expect(Object.keys(byName).sort()).toEqual(Object.keys(expected).map(name).sort());
    for (const [suffix, [phase, expression]] of Object.entries(expected)) {
      const s = byName[name(suffix)]!;
      expect(s.ScheduleExpression, suffix).toBe(expression);
      expect(s.ScheduleExpressionTimezone, suffix).toBe('Europe/Lisbon');
      expect(s.State, suffix).toBe('ENABLED');
      expect(s.FlexibleTimeWindow.Mode, suffix).toBe('OFF');
      expect(JSON.parse(s.Target.Input), suffix).toEqual({ phase, scheduledTime: '<aws.scheduler.scheduled-time>', schedule: name(suffix) });
      expect(refTarget(s.Target.Arn), suffix).toBe(scheduledFn);
      expect(refTarget(s.Target.DeadLetterConfig?.Arn), suffix).toBe(dlqId);
      expect(s.Target.RetryPolicy?.MaximumRetryAttempts, suffix).toBeGreaterThanOrEqual(3);
    }

    // The scheduler role may invoke only the rollover function (unqualified) and send to the DLQ.
    const roleId = refTarget(ofRollover[0]!.Target.RoleArn)!;
    expect(ofRollover.every((s) => refTarget(s.Target.RoleArn) === roleId)).toBe(true);
    const statements = iamStatements(json)
      .filter((s) => s.owner === roleId)
      .map((s) => s.statement);
    expect(statements).toEqual([
      expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [scheduledFn, 'Arn'] } }),
      expect.objectContaining({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [dlqId, 'Arn'] } }),
    ]);
    synthesized.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });

    // A run that fails is not retried by Lambda (the schedules repeat); a crash or timeout goes to the DLQ.
    const invokeConfigs = resourcesOfType(json, 'AWS::Lambda::EventInvokeConfig')
      .map(([, c]) => props(c))
      .filter((c) => refTarget(c['FunctionName']) === scheduledFn);
    expect(invokeConfigs).toEqual([
      expect.objectContaining({
        FunctionName: { Ref: scheduledFn },
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
      }),
    ]);
  });

  it('publishes the API URL as an output and as the SSM parameter /ix-sequences/<stage>/api-url', () => {
    const outputs = json.Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>;
    const url = flatten(outputs['ApiUrl']!.Value);
    expect(url).toMatch(/^https:\/\/<Ref:Api[0-9A-F]+>\.execute-api\.<Ref:AWS::Region>\.<Ref:AWS::URLSuffix>\/<Ref:ApiDeploymentStagev1[0-9A-F]+>\/$/);
    const parameters = resourcesOfType(json, 'AWS::SSM::Parameter').map(([id, p]) => [id, props<{ Name: string; Type: string; Value: unknown }>(p)] as const);
    expect(parameters).toHaveLength(1);
    const [parameterId, parameter] = parameters[0]!;
    expect(parameter.Name).toBe(`/ix-sequences/${stage}/api-url`);
    expect(parameter.Type).toBe('String');
    expect(flatten(parameter.Value)).toBe(url);
    expect(refTarget(outputs['ApiUrlParameterName']!.Value)).toBe(parameterId);
    for (const level of ['Read', 'Write', 'Rollover', 'Admin']) {
      expect(outputs[`Invoke${level}PolicyArn`]?.Export?.Name).toBe(`ix-sequences-${stage}-invoke-${level.toLowerCase()}-policy-arn`);
    }
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['SecretId', 'RolloverTableName', 'AlarmTopicArn', 'RolloverDlqUrl', 'DashboardName']));
  });

  it('docs/deploy.md names every output the deploy prints, and only those', () => {
    const deployMd = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
    const listed = /prints the outputs:([\s\S]*?)Without\s+`-c stage/.exec(deployMd)?.[1] ?? '';
    const named = [...listed.matchAll(/`([A-Za-z0-9]+)(…?)`/g)].map(([, name, prefix]) => (prefix === '' ? name : `${name ?? ''}*`));
    const outputs = Object.keys(json.Outputs ?? {}).map((name) => (/^ApiEndpoint[0-9A-F]{8}$/.test(name) ? 'ApiEndpoint*' : name));
    expect([...new Set(named)].sort()).toEqual([...outputs].sort());
  });

  it('enforces TLS on the DLQ and the encrypted alarm topic', () => {
    for (const type of ['AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy']) {
      synthesized.template.hasResourceProperties(type, {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
    const [, topic] = resourcesOfType(json, 'AWS::SNS::Topic')[0]!;
    const keyId = refTarget(props(topic)['KmsMasterKeyId']);
    expect(json.Resources[keyId!]?.Type).toBe('AWS::KMS::Key');
    expect(props(json.Resources[keyId!]!)['EnableKeyRotation']).toBe(true);
    synthesized.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' } })]),
      },
    });
  });

  it("applies the stage's removal policy to stateful resources", () => {
    const expected = config.removalPolicy === 'retain' ? 'Retain' : 'Delete';
    for (const type of ['AWS::SecretsManager::Secret', 'AWS::DynamoDB::Table', 'AWS::Logs::LogGroup', 'AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::KMS::Key']) {
      const resources = resourcesOfType(json, type);
      expect(resources.length, type).toBeGreaterThan(0);
      for (const [id, r] of resources) expect(r.DeletionPolicy, id).toBe(expected);
    }
    // The secret is created empty of real credentials: its value is set out of band.
    const [, secret] = resourcesOfType(json, 'AWS::SecretsManager::Secret')[0]!;
    expect(props(secret)['Name']).toBe(`ix-sequences/${stage}`);
    expect(props(secret)['SecretString']).toBeUndefined();
  });
});
