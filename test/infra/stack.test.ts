import { readFileSync } from 'node:fs';
import { Token } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../infra/access.ts';
import { loadStageConfig } from '../../infra/config.ts';
import type { StageConfig } from '../../infra/config.ts';
import { INVOICEXPRESS_CALLS_PER_REQUEST, apiShareOf, methodThrottlingFor, throttlingFor } from '../../infra/constructs/api.ts';
import { RUN_TABLE_ACTIONS } from '../../infra/constructs/run-table.ts';
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
/** Only the functions that call InvoiceXpress get the secret, its settings and the request budget. */
const INVOICEXPRESS_ENV = ['IX_SECRET_ID', 'SECRET_TTL_SECONDS', 'IX_TIMEOUT_MS', ...BUDGET_ENV];
/** What each kind of notification access adds (infra/constructs/notifications.ts). */
const NOTIFICATION_ENV: Partial<Record<string, string[]>> = {
  none: [],
  publish: ['NOTIFICATIONS_TABLE_NAME', 'NOTIFICATIONS_QUEUE_URL', 'EVENT_BUS_NAME'],
  read: ['NOTIFICATIONS_TABLE_NAME'],
  redeliver: ['NOTIFICATIONS_TABLE_NAME', 'NOTIFICATIONS_QUEUE_URL'],
  deliver: ['NOTIFICATIONS_TABLE_NAME', 'NOTIFICATIONS_QUEUE_URL', 'NOTIFICATIONS_DLQ_URL', 'WEBHOOKS_SECRET_ID'],
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
      if (p.FunctionName === name('rollover-scheduled')) {
        expect(p.Timeout, id).toBe(300);
        expect(p.ReservedConcurrentExecutions, id).toBe(1);
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
    for (const spec of FUNCTION_SPECS) {
      const env = envOf(json, name(spec.entry));
      const expected = [
        ...BASE_ENV,
        ...(spec.invoiceXpress ? INVOICEXPRESS_ENV : []),
        ...(spec.rolloverSettings ? ['SERIE_TEMPLATES', 'ROLLOVER_TIME_ZONE'] : []),
        ...(spec.runTable !== 'none' ? ['ROLLOVER_TABLE_NAME', 'IX_ACCOUNT_NAME'] : []),
        ...(NOTIFICATION_ENV[spec.notifications ?? 'none'] ?? []),
      ];
      expect(Object.keys(env).sort(), spec.entry).toEqual([...expected].sort());
      expect(env).toMatchObject({ STAGE: stage, POWERTOOLS_LOG_LEVEL: config.logLevel, POWERTOOLS_SERVICE_NAME: 'ix-sequences' });
      if (spec.invoiceXpress) {
        expect(refTarget(env['IX_SECRET_ID'])).toBe(secretId);
        expect(env).toMatchObject({ SECRET_TTL_SECONDS: String(config.secretTtlSeconds), IX_TIMEOUT_MS: String(config.ixTimeoutMs) });
      }
      if (spec.runTable !== 'none') expect(env['IX_ACCOUNT_NAME']).toBe(config.invoiceXpressAccount);
      if (spec.rolloverSettings) {
        expect(env['SERIE_TEMPLATES']).toBe('{year},{year}B,{year}C');
        expect(env['ROLLOVER_TIME_ZONE']).toBe('Europe/Lisbon');
      }
      if (spec.runTable !== 'none') expect(refTarget(env['ROLLOVER_TABLE_NAME'])).toBe(tableId);
      // Every function that calls InvoiceXpress spends the account's one budget, kept in the run table.
      if (spec.invoiceXpress) {
        expect(refTarget(env['IX_BUDGET_TABLE_NAME'])).toBe(tableId);
        expect(env).toMatchObject({
          IX_BUDGET_PER_MINUTE: String(config.invoiceXpressRequestsPerMinute),
          IX_BUDGET_BURST: String(config.invoiceXpressBudget.burst),
          IX_BUDGET_ROLLOVER_RESERVE: String(config.invoiceXpressBudget.rolloverReserve),
        });
      }
    }
    // The rollover functions are the ones that use the table.
    const byEntry = Object.fromEntries(FUNCTION_SPECS.map((s) => [s.entry, s.runTable]));
    expect(byEntry).toMatchObject({ 'rollover-run': 'write', 'rollover-scheduled': 'write', 'rollover-status': 'read', 'list-sequences': 'none' });
    // The run records' function reads the table by the configured account: it never calls InvoiceXpress.
    // The notification routes and the delivery function read the notifications table, not InvoiceXpress.
    expect(FUNCTION_SPECS.filter((spec) => !spec.invoiceXpress && spec.notifications === undefined).map((spec) => spec.entry)).toEqual(['rollover-run-record']);
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

  const byLevel = (level: string): string[] =>
    FUNCTION_SPECS.filter((spec) => spec.runTable === level)
      .map((spec) => spec.entry)
      .sort();
  it('grants the run table to the rollover and registering functions only, with exactly the calls their level needs', () => {
    const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
    for (const spec of FUNCTION_SPECS) {
      const onRunTable = (s: PolicyStatementJson): boolean => JSON.stringify(s.Resource).includes(`"${tableId}"`);
      const all = roleStatements(json, name(spec.entry)).filter((s) => statementActions(s).some((a) => a.startsWith('dynamodb:')) && onRunTable(s));
      const isBudget = (s: PolicyStatementJson): boolean => JSON.stringify(s.Condition ?? {}).includes('BUDGET#');
      // The budget's grant, for the functions that call InvoiceXpress: the account's budget item only, read and conditional update.
      const budget = all.filter(isBudget);
      expect(budget, spec.entry).toHaveLength(spec.invoiceXpress ? 1 : 0);
      if (spec.invoiceXpress) {
        expect(statementActions(budget[0]!).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
        expect(budget[0]!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`BUDGET#${config.invoiceXpressAccount}`] } });
      }
      const dynamo = all.filter((s) => !isBudget(s));
      if (spec.runTable === 'none') {
        expect(dynamo, spec.entry).toEqual([]);
        continue;
      }
      expect(dynamo, spec.entry).toHaveLength(1);
      expect(statementActions(dynamo[0]!).sort(), spec.entry).toEqual([...RUN_TABLE_ACTIONS[spec.runTable]].sort());
      expect(asArray(dynamo[0]!.Resource), spec.entry).toEqual([tableArn]);
      // Only the account's own partitions: register and create the registration leases (<account>#sequence#<id>),
      // the rollover functions its locks and run records (<account>#<year>); no other account's, no other kind of item.
      const leadingKeys = spec.runTable === 'lease' ? `${config.invoiceXpressAccount}#sequence#*` : `${config.invoiceXpressAccount}#????`;
      expect(dynamo[0]!['Condition'], spec.entry).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [leadingKeys] } });
    }
    expect(byLevel('lease')).toEqual(['create-sequence', 'register-sequence']);
    expect([...RUN_TABLE_ACTIONS.lease].sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
    expect([...RUN_TABLE_ACTIONS.read].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    // Nothing updates an item in place (shared/rollover/run-table.ts puts and deletes whole items).
    expect([...RUN_TABLE_ACTIONS.write].sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    // Nothing else in the stack touches DynamoDB.
    const allDynamo = iamStatements(json).filter(
      ({ statement }) => statementActions(statement).some((a) => a.startsWith('dynamodb:')) && JSON.stringify(statement.Resource).includes(`"${tableId}"`),
    );
    expect(allDynamo).toHaveLength(FUNCTION_SPECS.filter((s) => s.runTable !== 'none').length + FUNCTION_SPECS.filter((s) => s.invoiceXpress).length);
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
      expect(secretReads, spec.entry).toHaveLength(spec.invoiceXpress ? 1 : 0);
      if (spec.invoiceXpress) expect(secretReads[0]!.Resource, spec.entry).toEqual({ Ref: secretId });
    }
    const allSecretReads = iamStatements(json).filter(({ statement }) => statementActions(statement).some((a) => a.startsWith('secretsmanager:')));
    // ...and the delivery function reads the webhooks secret (notifications.test.ts, secret-access.test.ts).
    expect(allSecretReads.length).toBe(FUNCTION_SPECS.filter((spec) => spec.invoiceXpress).length + 1);
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
            /^arn:<Ref:AWS::Partition>:execute-api:<Ref:AWS::Region>:<Ref:AWS::AccountId>:<Ref:Api[0-9A-F]+>\/v1\/(GET|POST|PUT)\/[a-z_/*]+$/,
          );
        continue;
      }
      if (resources.some((r) => typeof r === 'string' && r.includes('*'))) {
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
    const byName = Object.fromEntries(schedules.map((s) => [s.Name, s]));
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
    const roleId = refTarget(schedules[0]!.Target.RoleArn)!;
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
    const invokeConfigs = resourcesOfType(json, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => props(c));
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
    for (const level of ['Read', 'Write', 'Rollover']) {
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
