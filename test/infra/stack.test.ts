import { Token } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadStageConfig } from '../../infra/config.ts';
import type { StageConfig } from '../../infra/config.ts';
import { FUNCTION_SPECS } from '../../infra/ix-sequences-stack.ts';
import {
  STAGES_UNDER_TEST,
  apiRoutes,
  asArray,
  functionLogicalId,
  iamStatements,
  props,
  refTarget,
  resourcesOfType,
  synthStage,
} from './support.ts';
import type { CfnTemplate, PolicyStatementJson, Synthesized } from './support.ts';

const EXPECTED_ROUTES: Record<string, string> = {
  'GET /sequences': 'list-sequences',
  'GET /sequences/{id}': 'get-sequence',
  'POST /sequences': 'create-sequence',
  'PUT /sequences/{id}/register': 'register-sequence',
  'PUT /sequences/{id}/set_current': 'set-current-sequence',
  'POST /rollover': 'rollover-run',
  'GET /rollover/{year}': 'rollover-status',
};

const BASE_ENV = ['IX_SECRET_ID', 'STAGE', 'SECRET_TTL_SECONDS', 'IX_TIMEOUT_MS', 'LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME', 'NODE_OPTIONS'];
const ROLLOVER_ENV = [...BASE_ENV, 'SERIE_TEMPLATES', 'ROLLOVER_TIME_ZONE'];
const ROLLOVER_FUNCTIONS = new Set(['rollover-run', 'rollover-status', 'rollover-scheduled']);

function statementActions(s: PolicyStatementJson): string[] {
  return asArray(s.Action);
}

describe.each(STAGES_UNDER_TEST)('stack for stage %s', (stage) => {
  let synthesized: Synthesized;
  let json: CfnTemplate;
  let config: StageConfig;
  let secretId: string;

  beforeAll(() => {
    synthesized = synthStage(stage);
    json = synthesized.json;
    config = loadStageConfig(stage);
    const secrets = resourcesOfType(json, 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(1);
    secretId = secrets[0]![0];
  });

  it('is named after the stage and synthesizes without an account or region (env-agnostic)', () => {
    expect(synthesized.stack.stackName).toBe(`IxSequences-${stage}`);
    expect(synthesized.stack.environment).toBe('aws://unknown-account/unknown-region');
    expect(Token.isUnresolved(synthesized.stack.account)).toBe(true);
    expect(Token.isUnresolved(synthesized.stack.region)).toBe(true);
    expect(synthesized.stack.terminationProtection).toBe(stage === 'prod');
  });

  it('exposes exactly the contract routes, each an IAM-authorized Lambda proxy to its own function', () => {
    const routes = apiRoutes(json);
    expect([...routes.keys()].sort()).toEqual(Object.keys(EXPECTED_ROUTES).sort());
    for (const [route, fnName] of Object.entries(EXPECTED_ROUTES)) {
      const r = routes.get(route);
      expect(r?.authorizationType, route).toBe('AWS_IAM');
      expect(r?.integrationType, route).toBe('AWS_PROXY');
      expect(r?.functionId, route).toBe(functionLogicalId(json, `ix-sequences-${stage}-${fnName}`));
    }
    const methods = resourcesOfType(json, 'AWS::ApiGateway::Method').map(([, m]) => props(m));
    expect(methods.filter((m) => m['AuthorizationType'] !== 'AWS_IAM')).toEqual([]);
    expect(methods.filter((m) => m['HttpMethod'] === 'OPTIONS')).toEqual([]);
  });

  it('throttles, traces and access-logs (JSON) the API stage', () => {
    synthesized.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: config.apiThrottling.rateLimit,
          ThrottlingBurstLimit: config.apiThrottling.burstLimit,
          DataTraceEnabled: false,
        }),
      ]),
    });
    const [, apiStage] = resourcesOfType(json, 'AWS::ApiGateway::Stage')[0]!;
    const access = props<{ AccessLogSetting: { Format: string; DestinationArn: unknown } }>(apiStage).AccessLogSetting;
    const format = JSON.parse(access.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(JSON.stringify(access.DestinationArn)).toContain('ApiAccessLogs');
    // Every log group (8 functions, API access and execution logs) has the stage's retention.
    const logGroups = resourcesOfType(json, 'AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(FUNCTION_SPECS.length + 2);
    for (const [id, lg] of logGroups) expect(props(lg)['RetentionInDays'], id).toBe(config.logRetentionDays);
    synthesized.template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: Match.anyValue() }, '/v1']] },
    });
    // No resource policy unless allowed principals are configured (none in the standard stages).
    expect(props(resourcesOfType(json, 'AWS::ApiGateway::RestApi')[0]![1])['Policy']).toBeUndefined();
  });

  it('runs every function on nodejs24.x / arm64 with active tracing, its own log group and a sized timeout', () => {
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
      }>(fn);
      expect(p.Runtime, id).toBe('nodejs24.x');
      expect(p.Architectures, id).toEqual(['arm64']);
      expect(p.TracingConfig.Mode, id).toBe('Active');
      expect(p.Handler, id).toBe('index.handler');
      expect(p.MemorySize, id).toBeGreaterThanOrEqual(256);
      expect(p.MemorySize, id).toBeLessThanOrEqual(512);
      const longRunning = /-(rollover-run|rollover-scheduled)$/.test(p.FunctionName);
      if (longRunning) expect(p.Timeout, id).toBe(120);
      else expect(p.Timeout, id).toBeLessThan(29); // below API Gateway's 29 s integration limit
      const logGroupId = refTarget(p.LoggingConfig.LogGroup);
      expect(logGroupId, id).toBeDefined();
      const logGroup = logGroups[logGroupId!];
      expect(props(logGroup!)['RetentionInDays'], id).toBe(config.logRetentionDays);
      expect(props(logGroup!)['LogGroupName'], id).toBe(`/aws/lambda/${p.FunctionName}`);
      seenLogGroups.add(logGroupId!);
    }
    expect(seenLogGroups.size).toBe(FUNCTION_SPECS.length);
  });

  it('gives each function exactly the environment it needs', () => {
    for (const spec of FUNCTION_SPECS) {
      const id = functionLogicalId(json, `ix-sequences-${stage}-${spec.name}`);
      const env = props<{ Environment: { Variables: Record<string, unknown> } }>(json.Resources[id]!).Environment.Variables;
      const expected = ROLLOVER_FUNCTIONS.has(spec.name) ? ROLLOVER_ENV : BASE_ENV;
      expect(Object.keys(env).sort(), spec.name).toEqual([...expected].sort());
      expect(refTarget(env['IX_SECRET_ID'])).toBe(secretId);
      expect(env).toMatchObject({
        STAGE: stage,
        SECRET_TTL_SECONDS: String(config.secretTtlSeconds),
        IX_TIMEOUT_MS: String(config.ixTimeoutMs),
        LOG_LEVEL: config.logLevel,
        POWERTOOLS_SERVICE_NAME: 'ix-sequences',
        NODE_OPTIONS: '--enable-source-maps',
      });
      if (ROLLOVER_FUNCTIONS.has(spec.name)) {
        expect(env['SERIE_TEMPLATES']).toBe('{year},{year}B,{year}C');
        expect(env['ROLLOVER_TIME_ZONE']).toBe('Europe/Lisbon');
      }
    }
  });

  it('lets each function role read only this stage\'s secret, and nothing uses wildcards it could scope', () => {
    for (const spec of FUNCTION_SPECS) {
      const fnId = functionLogicalId(json, `ix-sequences-${stage}-${spec.name}`);
      const roleId = refTarget(props(json.Resources[fnId]!)['Role']);
      expect(roleId).toBeDefined();
      // No AWS managed policy (e.g. AWSLambdaBasicExecutionRole) on function roles.
      expect(props(json.Resources[roleId!]!)['ManagedPolicyArns'], spec.name).toBeUndefined();
      const statements = resourcesOfType(json, 'AWS::IAM::Policy')
        .filter(([, p]) => asArray(props<{ Roles?: unknown[] }>(p).Roles).some((r) => refTarget(r) === roleId))
        .flatMap(([, p]) => props<{ PolicyDocument: { Statement: PolicyStatementJson[] } }>(p).PolicyDocument.Statement);
      const secretReads = statements.filter((s) => statementActions(s).includes('secretsmanager:GetSecretValue'));
      expect(secretReads, spec.name).toHaveLength(1);
      expect(secretReads[0]!.Resource, spec.name).toEqual({ Ref: secretId });
    }
    // Every secret read in the stack targets that one secret.
    const allSecretReads = iamStatements(json).filter(({ statement }) => statementActions(statement).some((a) => a.startsWith('secretsmanager:')));
    expect(allSecretReads.length).toBe(FUNCTION_SPECS.length);
    for (const { statement } of allSecretReads) expect(statement.Resource).toEqual({ Ref: secretId });
  });

  it('has no IAM statement with a wildcard action, and a "*" resource only for X-Ray (which cannot be scoped)', () => {
    for (const { owner, statement } of iamStatements(json)) {
      for (const action of statementActions(statement)) {
        expect(action, owner).not.toBe('*');
        expect(action, owner).not.toMatch(/:\*$/);
      }
      const resources = asArray(statement.Resource);
      const wildcard = resources.some((r) => typeof r === 'string' && r.includes('*'));
      if (wildcard) {
        expect(resources, owner).toEqual(['*']);
        expect(statementActions(statement).every((a) => a.startsWith('xray:')), owner).toBe(true);
      }
    }
  });

  it('schedules prepare (daily in December) and activate (1 January 00:00) in Europe/Lisbon with retries and a DLQ', () => {
    const queues = resourcesOfType(json, 'AWS::SQS::Queue');
    expect(queues).toHaveLength(1);
    const [dlqId, dlq] = queues[0]!;
    expect(props(dlq)['SqsManagedSseEnabled']).toBe(true);
    const scheduledFn = functionLogicalId(json, `ix-sequences-${stage}-rollover-scheduled`);

    const schedules = resourcesOfType(json, 'AWS::Scheduler::Schedule').map(([, s]) =>
      props<{
        ScheduleExpression: string;
        ScheduleExpressionTimezone: string;
        State: string;
        Target: {
          Arn: unknown;
          Input: string;
          RetryPolicy?: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
          DeadLetterConfig?: { Arn: unknown };
          RoleArn: unknown;
        };
      }>(s),
    );
    expect(schedules).toHaveLength(2);
    const byPhase = new Map(schedules.map((s) => [(JSON.parse(s.Target.Input) as { phase: string }).phase, s]));
    expect(byPhase.get('prepare')?.ScheduleExpression).toBe('cron(0 9 1-31 12 ? *)');
    expect(byPhase.get('activate')?.ScheduleExpression).toBe('cron(0 0 1 1 ? *)');
    for (const [phase, s] of byPhase) {
      expect(s.ScheduleExpressionTimezone, phase).toBe('Europe/Lisbon');
      expect(s.State, phase).toBe('ENABLED');
      expect(JSON.parse(s.Target.Input), phase).toEqual({ phase, scheduledTime: '<aws.scheduler.scheduled-time>' });
      expect(refTarget(s.Target.Arn), phase).toBe(scheduledFn);
      expect(refTarget(s.Target.DeadLetterConfig?.Arn), phase).toBe(dlqId);
      expect(s.Target.RetryPolicy?.MaximumRetryAttempts, phase).toBeGreaterThanOrEqual(3);
      expect(s.Target.RetryPolicy?.MaximumRetryAttempts, phase).toBeLessThanOrEqual(5);
      expect(s.Target.RetryPolicy?.MaximumEventAgeInSeconds, phase).toBeGreaterThanOrEqual(3600);
    }

    // The scheduler role may invoke only the rollover function (unqualified) and send to the DLQ.
    const roleId = refTarget(schedules[0]!.Target.RoleArn)!;
    const roleStatements = iamStatements(json).filter((s) => s.owner === roleId).map((s) => s.statement);
    expect(roleStatements).toEqual([
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

    // Failures after Lambda's own async retries go to the same DLQ.
    synthesized.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: scheduledFn },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
  });

  it('enforces TLS on the DLQ and the encrypted alarm topic', () => {
    for (const type of ['AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy']) {
      synthesized.template.hasResourceProperties(type, {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
    const [, topic] = resourcesOfType(json, 'AWS::SNS::Topic')[0]!;
    const keyId = refTarget(props(topic)['KmsMasterKeyId']);
    expect(json.Resources[keyId!]?.Type).toBe('AWS::KMS::Key');
    expect(props(json.Resources[keyId!]!)['EnableKeyRotation']).toBe(true);
    // CloudWatch can publish to the topic and use its key.
    synthesized.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
        ]),
      },
    });
    // No e-mail configured in the standard stages.
    expect(resourcesOfType(json, 'AWS::SNS::Subscription')).toEqual([]);
  });

  it('alarms to the topic on scheduled errors, DLQ messages, API 5XX, serie fallbacks and failed rollovers', () => {
    const topicId = resourcesOfType(json, 'AWS::SNS::Topic')[0]![0];
    const alarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, a]) =>
      props<{ MetricName: string; Namespace: string; Threshold: number; ComparisonOperator: string; AlarmActions: unknown[]; Dimensions?: { Name: string; Value: unknown }[] }>(a),
    );
    for (const a of alarms) {
      expect(a.AlarmActions.map(refTarget)).toEqual([topicId]);
      expect(a.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
    }
    const find = (namespace: string, metric: string, dimension?: string) =>
      alarms.filter(
        (a) =>
          a.Namespace === namespace &&
          a.MetricName === metric &&
          (dimension === undefined || (a.Dimensions ?? []).some((d) => refTarget(d.Value) === dimension || d.Value === dimension)),
      );
    const scheduledFn = functionLogicalId(json, `ix-sequences-${stage}-rollover-scheduled`);
    const dlqId = resourcesOfType(json, 'AWS::SQS::Queue')[0]![0];
    expect(find('AWS/Lambda', 'Errors', scheduledFn)).toEqual([expect.objectContaining({ Threshold: 1 })]);
    expect(find('AWS/SQS', 'ApproximateNumberOfMessagesVisible')).toHaveLength(1);
    expect(JSON.stringify(find('AWS/SQS', 'ApproximateNumberOfMessagesVisible')[0]!.Dimensions)).toContain(dlqId);
    expect(find('AWS/ApiGateway', '5XXError')).toEqual([expect.objectContaining({ Threshold: config.api5xxAlarmThreshold })]);
    expect(find(`IxSequences/${stage}`, 'SerieFallback')).toEqual([expect.objectContaining({ Threshold: 1 })]);

    expect(find(`IxSequences/${stage}`, 'RolloverFailed')).toEqual([expect.objectContaining({ Threshold: 1 })]);
    expect(alarms).toHaveLength(6);

    // The log-based metrics come from the rollover functions' JSON log lines (`alarm` field).
    const filters = resourcesOfType(json, 'AWS::Logs::MetricFilter').map(([, f]) =>
      props<{ FilterPattern: string; LogGroupName: unknown; MetricTransformations: { MetricName: string; MetricNamespace: string }[] }>(f),
    );
    expect(filters).toHaveLength(4);
    const logGroupOf = (fnName: string): string | undefined => {
      const id = functionLogicalId(json, `ix-sequences-${stage}-${fnName}`);
      return refTarget(props<{ LoggingConfig: { LogGroup: unknown } }>(json.Resources[id]!).LoggingConfig.LogGroup);
    };
    const rolloverLogGroups = [logGroupOf('rollover-run'), logGroupOf('rollover-scheduled')].sort();
    for (const [metric, value] of [
      ['SerieFallback', 'serie_fallback'],
      ['RolloverFailed', 'rollover_failed'],
    ] as const) {
      const forMetric = filters.filter((f) => f.MetricTransformations[0]?.MetricName === metric);
      expect(forMetric.map((f) => refTarget(f.LogGroupName)).sort(), metric).toEqual(rolloverLogGroups);
      for (const f of forMetric) {
        expect(f.FilterPattern).toBe(`{ $.alarm = "${value}" }`);
        expect(f.MetricTransformations[0]?.MetricNamespace).toBe(`IxSequences/${stage}`);
      }
    }
  });

  it(`applies the stage's removal policy to stateful resources`, () => {
    const expected = config.removalPolicy === 'retain' ? 'Retain' : 'Delete';
    for (const type of ['AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup', 'AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::KMS::Key']) {
      for (const [id, r] of resourcesOfType(json, type)) expect(r.DeletionPolicy, id).toBe(expected);
    }
    // The secret is created empty of real credentials: its value is set out of band.
    const [, secret] = resourcesOfType(json, 'AWS::SecretsManager::Secret')[0]!;
    expect(props(secret)['Name']).toBe(`ix-sequences/${stage}`);
    expect(props(secret)['SecretString']).toBeUndefined();
  });
});
