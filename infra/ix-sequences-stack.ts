import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, Tags, TimeZone, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { routes } from '../shared/http/routes.ts';
import type { RouteSpec } from '../shared/http/route-spec.ts';
import { FUNCTION_BUNDLING } from './bundling.ts';
import type { StageConfig } from './config.ts';

export const SERVICE_NAME = 'ix-sequences';
/** Repository root: NodejsFunction entries, lock file and esbuild's working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The API Gateway stage (URL path prefix); environments are separate stacks, not API stages. */
export const API_STAGE_NAME = 'v1';
/** JSON log lines with these `alarm` values raise alarms (written by the rollover functions). */
export const SERIE_FALLBACK_ALARM = 'serie_fallback';
export const ROLLOVER_FAILED_ALARM = 'rollover_failed';

interface FunctionSpec {
  /** Construct id prefix. */
  readonly id: string;
  /** File in functions/ (without .ts) and suffix of the function name. */
  readonly name: string;
  readonly description: string;
  /** Rollover functions get the serie templates and time zone, and a longer timeout. */
  readonly rollover: boolean;
  readonly timeout: Duration;
  readonly memorySize: number;
}

// API functions: API Gateway gives up after 29 s, so 28 s lets a function answer its own 504
// (InvoiceXpress calls are bounded by IX_TIMEOUT_MS) instead of being cut off mid-response.
const API_TIMEOUT = Duration.seconds(28);
// Rollover runs do find/create/register/set_current/verify, each with retries, then webhooks:
// several InvoiceXpress round trips. 120 s covers that with room; POST /rollover shares it, and if
// the caller's 29 s pass first the run still completes (it is idempotent) and GET /rollover/{year}
// reports the result.
const ROLLOVER_TIMEOUT = Duration.seconds(120);
// The work is I/O-bound, but Lambda CPU scales with memory and cold starts (bundle parse, TLS)
// are CPU-bound; 512 MB on arm64 keeps callers' latency low at negligible cost for this traffic.
const MEMORY_MB = 512;

export const FUNCTION_SPECS: readonly FunctionSpec[] = [
  { id: 'ListSequences', name: 'list-sequences', description: 'GET /sequences', rollover: false, timeout: API_TIMEOUT, memorySize: MEMORY_MB },
  { id: 'GetSequence', name: 'get-sequence', description: 'GET /sequences/{id}', rollover: false, timeout: API_TIMEOUT, memorySize: MEMORY_MB },
  { id: 'CreateSequence', name: 'create-sequence', description: 'POST /sequences', rollover: false, timeout: API_TIMEOUT, memorySize: MEMORY_MB },
  { id: 'RegisterSequence', name: 'register-sequence', description: 'PUT /sequences/{id}/register', rollover: false, timeout: API_TIMEOUT, memorySize: MEMORY_MB },
  { id: 'SetCurrentSequence', name: 'set-current-sequence', description: 'PUT /sequences/{id}/set_current', rollover: false, timeout: API_TIMEOUT, memorySize: MEMORY_MB },
  { id: 'RolloverRun', name: 'rollover-run', description: 'POST /rollover (manual rollover)', rollover: true, timeout: ROLLOVER_TIMEOUT, memorySize: MEMORY_MB },
  // Read-only and behind the API: an API timeout, but it needs the rollover's serie settings.
  { id: 'RolloverStatus', name: 'rollover-status', description: 'GET /rollover/{year}', rollover: true, timeout: API_TIMEOUT, memorySize: MEMORY_MB },
  { id: 'RolloverScheduled', name: 'rollover-scheduled', description: 'Yearly rollover, invoked by EventBridge Scheduler', rollover: true, timeout: ROLLOVER_TIMEOUT, memorySize: MEMORY_MB },
];

/**
 * A resolved ARN as cdk-nag spells it in finding ids (Ref X -> <X>, Fn::Join flattened), so an
 * acknowledgement names exactly one finding whether the stack is environment-agnostic or not.
 */
function nagFlatten(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const v = value as { Ref?: unknown; 'Fn::Join'?: [string, unknown[]] };
    if (v.Ref !== undefined) return `<${nagFlatten(v.Ref)}>`;
    if (v['Fn::Join'] !== undefined) return v['Fn::Join'][1].map(nagFlatten).join(v['Fn::Join'][0]);
  }
  return JSON.stringify(value);
}

export interface IxSequencesStackProps extends StackProps {
  readonly config: StageConfig;
}

function assertLocalEsbuild(): void {
  // Without a resolvable esbuild, NodejsFunction silently switches to Docker bundling, which is
  // unavailable here and slow anywhere: fail with the fix instead.
  try {
    createRequire(import.meta.url).resolve('esbuild');
  } catch {
    throw new Error('esbuild is not installed locally (devDependency); run `npm ci` before synthesizing.');
  }
}

export class IxSequencesStack extends Stack {
  readonly api: apigw.RestApi;
  readonly functions: Readonly<Record<string, NodejsFunction>>;
  readonly secret: secretsmanager.ISecret;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: IxSequencesStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { stage } = config;
    const prefix = `${SERVICE_NAME}-${stage}`;
    const removalPolicy = config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const retention = config.logRetentionDays as logs.RetentionDays;
    Tags.of(this).add('service', SERVICE_NAME);
    Tags.of(this).add('stage', stage);

    // ---- Secret -------------------------------------------------------------------------------
    const { secret, secretId } = this.createSecret(config, removalPolicy);
    this.secret = secret;

    // ---- Rollover dead-letter queue ---------------------------------------------------------
    // Receives what never ran successfully: events Scheduler could not deliver, and scheduled
    // invocations that still failed after Lambda's own async retries. Either way an operator
    // must look (alarm below) and re-run the rollover by hand.
    this.deadLetterQueue = new sqs.Queue(this, 'RolloverDlq', {
      queueName: `${prefix}-rollover-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the rollover schedules and function; nothing consumes it automatically.',
    });

    // ---- Functions ----------------------------------------------------------------------------
    assertLocalEsbuild();
    const functions: Record<string, NodejsFunction> = {};
    for (const spec of FUNCTION_SPECS) {
      functions[spec.name] = this.createFunction(spec, config, { prefix, secret, secretId, retention, removalPolicy });
    }
    this.functions = functions;
    const fn = (name: string): NodejsFunction => {
      const found = functions[name];
      if (found === undefined) throw new Error(`no function ${name}`);
      return found;
    };

    // ---- API ----------------------------------------------------------------------------------
    this.api = this.createApi(config, prefix, retention, removalPolicy);
    const integration = (name: string): apigw.LambdaIntegration =>
      // No test-invoke permission: console test calls bypass IAM auth semantics and are not needed.
      new apigw.LambdaIntegration(fn(name), { allowTestInvoke: false });
    // The same route table the handlers parse with and the OpenAPI document is made from.
    for (const route of Object.values(routes) as RouteSpec[]) {
      this.api.root.resourceForPath(route.path).addMethod(route.method, integration(route.entry));
    }

    // ---- Schedules ----------------------------------------------------------------------------
    this.createSchedules(config, prefix, fn('rollover-scheduled'));

    // ---- Alarms -------------------------------------------------------------------------------
    this.alarmTopic = this.createAlarmTopic(config, prefix, removalPolicy);
    this.createAlarms(config, prefix, fn);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the IAM-signed API' });
    new CfnOutput(this, 'SecretId', { value: secretId, description: 'Secret holding {"accountName","apiKey","webhooks"?}' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'RolloverDlqUrl', { value: this.deadLetterQueue.queueUrl });
  }

  private createSecret(
    config: StageConfig,
    removalPolicy: RemovalPolicy,
  ): { secret: secretsmanager.ISecret; secretId: string } {
    const { secret: secretConfig } = config;
    switch (secretConfig.mode) {
      case 'create': {
        const secret = new secretsmanager.Secret(this, 'Secret', {
          secretName: `${SERVICE_NAME}/${config.stage}`,
          description: `InvoiceXpress credentials for ${SERVICE_NAME} (${config.stage}). Set the value out of band: {"accountName","apiKey","webhooks"?}`,
          // CloudFormation must create some value; a random non-JSON string makes the functions
          // fail loudly ("not configured") until an operator puts the real JSON.
          generateSecretString: { passwordLength: 32, excludePunctuation: true },
          removalPolicy,
        });
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            'The API key is issued by InvoiceXpress and cannot be rotated by a Lambda; operators rotate it in InvoiceXpress and put the new value (functions re-read the secret on a 401).',
        });
        return { secret, secretId: secret.secretArn };
      }
      case 'import': {
        const secret = secretsmanager.Secret.fromSecretNameV2(this, 'Secret', secretConfig.name);
        // The name, not the partial ARN: GetSecretValue resolves a name exactly, a partial ARN may not.
        return { secret, secretId: secretConfig.name };
      }
      case 'importArn': {
        const secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Secret', secretConfig.arn);
        return { secret, secretId: secretConfig.arn };
      }
    }
  }

  private createFunction(
    spec: FunctionSpec,
    config: StageConfig,
    shared: {
      prefix: string;
      secret: secretsmanager.ISecret;
      secretId: string;
      retention: logs.RetentionDays;
      removalPolicy: RemovalPolicy;
    },
  ): NodejsFunction {
    const functionName = `${shared.prefix}-${spec.name}`;
    const logGroup = new logs.LogGroup(this, `${spec.id}Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: shared.retention,
      removalPolicy: shared.removalPolicy,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole (logs on every group of the
    // account): this function may write to its own log group and read the stage's secret, only.
    const role = new iam.Role(this, `${spec.id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${functionName} execution role`,
    });
    logGroup.grantWrite(role);
    shared.secret.grantRead(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray statement added by active tracing (xray:PutTraceSegments, xray:PutTelemetryRecords): these actions do not support resource-level permissions.',
    });
    if (config.secret.mode === 'import') {
      // fromSecretNameV2 grants on "<name>-??????": exactly the 6-character suffix Secrets Manager
      // appends to every secret ARN, so it matches this one secret, not a family of secrets.
      const resource = nagFlatten(this.resolve(`${shared.secret.secretArn}-??????`));
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason: 'The ?????? wildcard is the random 6-character suffix of the single imported secret, which is unknown when importing by name.',
      });
    }

    const environment: Record<string, string> = {
      IX_SECRET_ID: shared.secretId,
      STAGE: config.stage,
      SECRET_TTL_SECONDS: String(config.secretTtlSeconds),
      IX_TIMEOUT_MS: String(config.ixTimeoutMs),
      LOG_LEVEL: config.logLevel,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      // Stack traces through the minified bundle point at the TypeScript sources.
      NODE_OPTIONS: '--enable-source-maps',
    };
    if (spec.rollover) {
      environment['SERIE_TEMPLATES'] = config.serieTemplates.join(',');
      environment['ROLLOVER_TIME_ZONE'] = config.scheduleTimeZone;
    }

    const entry = `${PROJECT_ROOT}functions/${spec.name}.ts`;
    if (!existsSync(entry)) throw new Error(`Missing Lambda entry ${entry} (it must export "handler")`);

    const isScheduled = spec.name === 'rollover-scheduled';
    return new NodejsFunction(this, spec.id, {
      functionName,
      description: `${SERVICE_NAME} (${config.stage}): ${spec.description}`,
      entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memorySize,
      timeout: spec.timeout,
      role,
      logGroup,
      tracing: Tracing.ACTIVE,
      environment,
      bundling: FUNCTION_BUNDLING,
      ...(isScheduled
        ? {
            // Scheduler invokes asynchronously: a function error is retried by Lambda (not by
            // Scheduler), 2 times about 1 and 2 minutes apart; the rollover is idempotent, so
            // retrying is safe. Events that still fail land in the DLQ, which alarms.
            retryAttempts: 2,
            maxEventAge: Duration.hours(6),
            onFailure: new SqsDestination(this.deadLetterQueue),
          }
        : {}),
    });
  }

  private createApi(
    config: StageConfig,
    prefix: string,
    retention: logs.RetentionDays,
    removalPolicy: RemovalPolicy,
  ): apigw.RestApi {
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      logGroupName: `/aws/apigateway/${prefix}/access`,
      retention,
      removalPolicy,
    });
    const F = apigw.AccessLogField;
    const accessLogFormat = apigw.AccessLogFormat.custom(
      JSON.stringify({
        requestId: F.contextRequestId(),
        extendedRequestId: F.contextExtendedRequestId(),
        requestTime: F.contextRequestTime(),
        httpMethod: F.contextHttpMethod(),
        resourcePath: F.contextResourcePath(),
        path: F.contextPath(),
        status: F.contextStatus(),
        protocol: F.contextProtocol(),
        responseLength: F.contextResponseLength(),
        responseLatency: F.contextResponseLatency(),
        integrationStatus: F.contextIntegrationStatus(),
        integrationLatency: F.contextIntegrationLatency(),
        integrationError: F.contextIntegrationErrorMessage(),
        error: F.contextErrorMessage(),
        errorType: F.contextErrorResponseType(),
        sourceIp: F.contextIdentitySourceIp(),
        callerAccount: F.contextIdentityAccountId(),
        userArn: F.contextIdentityUserArn(),
        userAgent: F.contextIdentityUserAgent(),
        xrayTraceId: F.contextXrayTraceId(),
      }),
    );

    const api = new apigw.RestApi(this, 'Api', {
      restApiName: prefix,
      description: `${SERVICE_NAME} (${config.stage}): InvoiceXpress sequences and yearly rollover`,
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // Every method is IAM-signed. No CORS preflight: callers are services, not browsers, and an
      // OPTIONS method would have to be unauthenticated.
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      cloudWatchRole: config.manageApiGatewayLogsRole,
      // The account-level setting outlives this stack: other APIs in the region may rely on it.
      ...(config.manageApiGatewayLogsRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      ...(config.allowedPrincipals.length > 0 ? { policy: this.apiResourcePolicy(config.allowedPrincipals) } : {}),
      deployOptions: {
        stageName: API_STAGE_NAME,
        throttlingRateLimit: config.apiThrottling.rateLimit,
        throttlingBurstLimit: config.apiThrottling.burstLimit,
        tracingEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat,
        // Execution logs for errors only; never request/response bodies (dataTrace).
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
    });

    // API Gateway creates the execution log group itself, without retention; owning it here gives
    // it the stage's retention and removal policy.
    const executionLogs = new logs.LogGroup(this, 'ApiExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${API_STAGE_NAME}`,
      retention,
      removalPolicy,
    });
    api.deploymentStage.node.addDependency(executionLogs);

    Validations.of(api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'Lambda proxy integrations: every handler validates path, body and content type with zod and answers the contract\'s 400/415 errors; an API Gateway validator would answer in a different error shape.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'Callers are AWS services and roles: every method uses AWS_IAM (SigV4) authorization instead of Cognito user pools.',
      },
    );
    Validations.of(api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Internal IAM-authorized API: unsigned requests are rejected before any integration runs, and stage throttling bounds the rest; a WAF web ACL would add cost without a rule set that applies to signed service calls.',
    });
    if (config.manageApiGatewayLogsRole) {
      const cloudWatchRole = api.node.findChild('CloudWatchRole');
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-wide role API Gateway uses for access/execution logs of every API in the region; it must write log groups whose names API Gateway chooses, which is what this AWS managed policy grants.',
      });
    }
    return api;
  }

  /** Allows the configured principals and denies everyone else, including this account's own. */
  private apiResourcePolicy(allowed: readonly string[]): iam.PolicyDocument {
    const accounts = allowed.filter((p) => /^\d{12}$/.test(p));
    const roles = allowed.filter((p) => p.startsWith('arn:'));
    const notAllowed: Record<string, Record<string, string[]>> = {};
    if (roles.length > 0) notAllowed['ArnNotLike'] = { 'aws:PrincipalArn': roles };
    if (accounts.length > 0) notAllowed['StringNotEquals'] = { 'aws:PrincipalAccount': accounts };
    return new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          effect: iam.Effect.ALLOW,
          principals: [...accounts.map((a) => new iam.AccountPrincipal(a)), ...roles.map((r) => new iam.ArnPrincipal(r))],
          actions: ['execute-api:Invoke'],
          resources: ['execute-api:/*'],
        }),
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: ['execute-api:/*'],
          // Conditions in one block are ANDed: denied unless the caller matches a role or an account.
          conditions: notAllowed,
        }),
      ],
    });
  }

  private createSchedules(config: StageConfig, prefix: string, target: NodejsFunction): void {
    const timeZone = TimeZone.of(config.scheduleTimeZone);
    // Our own role rather than the one LambdaInvoke would create: that one is granted
    // "<function ARN>:*" (every version/alias), this one only the unqualified function.
    const role = new iam.Role(this, 'SchedulerRole', {
      description: `${prefix} EventBridge Scheduler: invoke the rollover, dead-letter to its queue`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          // Confused-deputy guard: only this account's schedules may assume the role.
          StringEquals: { 'aws:SourceAccount': this.account },
        },
      }),
      inlinePolicies: {
        rollover: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [target.functionArn] }),
            new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
          ],
        }),
      },
    });

    const schedule = (phase: 'prepare' | 'activate', expression: scheduler.ScheduleExpression, description: string): void => {
      new scheduler.Schedule(this, `${phase === 'prepare' ? 'Prepare' : 'Activate'}Schedule`, {
        scheduleName: `${prefix}-${phase}`,
        description,
        schedule: expression,
        timeWindow: scheduler.TimeWindow.off(),
        target: new LambdaInvoke(target, {
          // withoutPolicyUpdates: the grants LambdaInvoke would add are already in the inline policy.
          role: role.withoutPolicyUpdates(),
          input: scheduler.ScheduleTargetInput.fromObject({
            phase,
            // The rollover derives the year from the schedule's own time, never from the clock.
            scheduledTime: scheduler.ContextAttribute.scheduledTime,
          }),
          deadLetterQueue: this.deadLetterQueue,
          // Scheduler retries only failed deliveries (throttling, Lambda unavailable), with backoff.
          retryAttempts: 4,
          maxEventAge: Duration.hours(2),
        }),
      });
    };
    // Every day of December: creates and registers next year's serie early, so a refusal by AT
    // leaves weeks to react; each run after the first is a no-op.
    schedule(
      'prepare',
      scheduler.ScheduleExpression.cron({ minute: '0', hour: '9', day: '1-31', month: '12', timeZone }),
      'Daily in December: create and register next year\'s serie (idempotent)',
    );
    // The first minute of the year, local time: make the new serie the default.
    schedule(
      'activate',
      scheduler.ScheduleExpression.cron({ minute: '0', hour: '0', day: '1', month: '1', timeZone }),
      '1 January 00:00: make the year\'s serie the default (idempotent)',
    );
  }

  private createAlarmTopic(config: StageConfig, prefix: string, removalPolicy: RemovalPolicy): sns.Topic {
    // A customer managed key: CloudWatch alarms cannot publish to a topic encrypted with the
    // AWS managed aws/sns key, because its key policy cannot grant cloudwatch.amazonaws.com.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `${prefix} alarm topic encryption`,
      enableKeyRotation: true,
      removalPolicy,
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const topic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `${prefix}-alarms`,
      displayName: `${prefix} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one; CloudWatch (this account only) must still publish.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    topic.applyRemovalPolicy(removalPolicy);
    if (config.alarmEmail !== undefined) topic.addSubscription(new EmailSubscription(config.alarmEmail));
    return topic;
  }

  private createAlarms(config: StageConfig, prefix: string, fn: (name: string) => NodejsFunction): void {
    const action = new SnsAction(this.alarmTopic);
    const period = Duration.minutes(5);
    const alarm = (
      id: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
    ): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, id, {
        alarmName: `${prefix}-${id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data means nothing happened (no invocations, empty queue): not a problem.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      return created;
    };

    alarm(
      'RolloverScheduledErrors',
      fn('rollover-scheduled').metricErrors({ period, statistic: 'Sum' }),
      1,
      'The scheduled rollover failed (Lambda retries twice; a final failure lands in the DLQ). See docs/deploy.md.',
    );
    alarm(
      'RolloverRunErrors',
      fn('rollover-run').metricErrors({ period, statistic: 'Sum' }),
      1,
      'A manual rollover (POST /rollover) crashed. See docs/deploy.md.',
    );
    alarm(
      'RolloverDlqMessages',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      1,
      'A scheduled rollover never completed (undeliverable or failed after retries). Run it by hand; see docs/deploy.md.',
    );
    alarm(
      'Api5xx',
      this.api.metricServerError({ period, statistic: 'Sum' }),
      config.api5xxAlarmThreshold,
      'The API answered 5XX (502/504: InvoiceXpress failing or slow, or our API key is wrong). See docs/deploy.md.',
    );

    // The rollover writes one JSON log line per run; lines with an `alarm` field need a person:
    // "serie_fallback" when AT refused a serie and the next configured name was used (the run
    // itself succeeded), "rollover_failed" when a run (scheduled or POST /rollover) failed.
    const namespace = `IxSequences/${config.stage}`;
    const logAlarms = [
      {
        id: 'SerieFallback',
        value: SERIE_FALLBACK_ALARM,
        description: 'The rollover used a fallback serie name because AT refused the configured one. See docs/deploy.md.',
      },
      {
        id: 'RolloverFailed',
        value: ROLLOVER_FAILED_ALARM,
        description: 'A rollover run (scheduled or POST /rollover) ended in "failed". See docs/deploy.md.',
      },
    ];
    for (const { id, value, description } of logAlarms) {
      for (const [fnId, name] of [
        ['RolloverRun', 'rollover-run'],
        ['RolloverScheduled', 'rollover-scheduled'],
      ] as const) {
        new logs.MetricFilter(this, `${fnId}${id}Filter`, {
          logGroup: fn(name).logGroup,
          filterName: `${prefix}-${name}-${value.replaceAll('_', '-')}`,
          filterPattern: logs.FilterPattern.stringValue('$.alarm', '=', value),
          metricNamespace: namespace,
          metricName: id,
          metricValue: '1',
        });
      }
      alarm(id, new cloudwatch.Metric({ namespace, metricName: id, period, statistic: 'Sum' }), 1, description);
    }
  }
}
