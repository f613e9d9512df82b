import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Stack, Validations } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../shared/http/route-spec.ts';
import { apiRoutes, isAccountScoped } from '../access.ts';
import { FUNCTION_BUNDLING } from '../bundling.ts';
import type { StageConfig } from '../config.ts';
import { PROJECT_ROOT, SERVICE_NAME, pascalCase } from '../names.ts';
import type { AccountSecrets } from './account-secrets.ts';
import { FUNCTION_SPECS, readsAccountSecrets, readsStageSecret, spendsBudget, tableReach } from './function-specs.ts';
import type { FunctionSpec } from './function-specs.ts';
import type { ServiceNotifications } from './notifications.ts';
import type { RolloverFanout } from './rollover-fanout.ts';
import type { ServiceSecret } from './secret.ts';
import type { RolloverRunTable } from './run-table.ts';

// The work is I/O-bound, but Lambda CPU scales with memory and cold starts (bundle parse, TLS)
// are CPU-bound; 512 MB on arm64 keeps callers' latency low at negligible cost for this traffic.
const MEMORY_MB = 512;

function assertLocalEsbuild(): void {
  // Without a resolvable esbuild, NodejsFunction silently switches to Docker bundling, which is
  // unavailable here and slow anywhere: fail with the fix instead.
  try {
    createRequire(import.meta.url).resolve('esbuild');
  } catch {
    throw new Error('esbuild is not installed locally (devDependency); run `npm ci` before synthesizing.');
  }
}

/** A deployed function with its spec and the routes it serves. */
export interface ServiceFunction {
  readonly spec: FunctionSpec;
  readonly fn: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly routes: readonly RouteSpec[];
}

export interface ServiceFunctionsProps {
  readonly config: StageConfig;
  readonly prefix: string;
  readonly secret: ServiceSecret;
  readonly runTable: RolloverRunTable;
  readonly notifications: ServiceNotifications;
  readonly accountSecrets: AccountSecrets;
  readonly fanout: RolloverFanout;
  readonly removalPolicy: RemovalPolicy;
  readonly specs?: readonly FunctionSpec[];
}

/**
 * The functions: each with its own log group and its own role (its log group, the secrets, the
 * run table, the queues only as its spec says), on nodejs24.x/arm64 with active tracing.
 */
export class ServiceFunctions extends Construct {
  readonly all: readonly ServiceFunction[];

  constructor(scope: Construct, id: string, props: ServiceFunctionsProps) {
    super(scope, id);
    assertLocalEsbuild();
    const specs = props.specs ?? FUNCTION_SPECS;
    const routes = apiRoutes();
    for (const route of routes) {
      const spec = specs.find((candidate) => candidate.entry === route.entry);
      if (spec === undefined) {
        throw new Error(
          `Route ${route.method} ${route.path} is served by "${route.entry}", which has no line in FUNCTION_SPECS (infra/constructs/function-specs.ts)`,
        );
      }
      if (isAccountScoped(route) && spec.reach !== 'any') {
        throw new Error(`Route ${route.method} ${route.path} serves registered accounts: "${route.entry}" needs reach 'any' in FUNCTION_SPECS`);
      }
    }
    this.all = specs.map((spec) => {
      const served = routes.filter((route) => route.entry === spec.entry);
      return this.createFunction(spec, served, props);
    });
  }

  get(entry: string): ServiceFunction {
    const found = this.all.find((f) => f.spec.entry === entry);
    if (found === undefined) throw new Error(`no function ${entry}`);
    return found;
  }

  /** The functions that serve API routes (they write one `request` log line per request). */
  get apiFunctions(): readonly ServiceFunction[] {
    return this.all.filter((f) => f.routes.length > 0);
  }

  /** The functions that call InvoiceXpress for the default account: the only roles that may read the stage's secret. */
  get stageSecretReaders(): readonly ServiceFunction[] {
    return this.all.filter((f) => readsStageSecret(f.spec));
  }

  /** The roles that may decrypt registered accounts' secrets: their InvoiceXpress callers, and the writer Secrets Manager decrypts for. */
  get accountSecretDecrypters(): readonly ServiceFunction[] {
    return this.all.filter((f) => readsAccountSecrets(f.spec) || f.spec.accountAdmin === 'put');
  }

  /** The one function of a fan-out role (the worker, ...). */
  fanoutFunctions(role: 'dispatch' | 'work'): readonly ServiceFunction[] {
    return this.all.filter((f) => f.spec.fanout === role);
  }

  /** The worker tells the alarm topic which accounts failed (one message per dispatch): ALARM_TOPIC_ARN and Publish. */
  attachAlarmTopic(topic: sns.ITopic): void {
    for (const { fn } of this.fanoutFunctions('work')) {
      fn.addEnvironment('ALARM_TOPIC_ARN', topic.topicArn);
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
      if (topic.masterKey === undefined) continue;
      // An encrypted topic: SNS encrypts the message with a data key of the topic's key, for the publisher.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [topic.masterKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sns.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
  }

  /** The function that delivers webhooks: the only role that may read the webhooks secret. */
  get delivery(): ServiceFunction {
    const found = this.all.filter((f) => f.spec.notifications === 'deliver');
    if (found.length !== 1 || found[0] === undefined) throw new Error(`expected one delivery function, found ${String(found.length)}`);
    return found[0];
  }

  /** The functions that run rollovers (they write one log line per run). */
  get rolloverRunners(): readonly ServiceFunction[] {
    return this.all.filter((f) => f.spec.runTable === 'write');
  }

  private createFunction(spec: FunctionSpec, served: readonly RouteSpec[], props: ServiceFunctionsProps): ServiceFunction {
    const { config } = props;
    const id = pascalCase(spec.entry);
    const functionName = `${props.prefix}-${spec.entry}`;
    const description = spec.description ?? served.map((r) => `${r.method} ${r.path}`).join(', ');
    if (description === '') throw new Error(`${spec.entry} serves no route: give its spec a description`);

    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.removalPolicy,
    });
    const role = this.createRole(spec, id, functionName, logGroup, props);
    const environment = environmentOf(spec, props);

    const entry = `${PROJECT_ROOT}functions/${spec.entry}.ts`;
    if (!existsSync(entry)) throw new Error(`Missing Lambda entry ${entry} (it must export "handler")`);

    const fn = new NodejsFunction(this, id, {
      functionName,
      description: `${SERVICE_NAME} (${config.stage}): ${description}`,
      entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: MEMORY_MB,
      timeout: spec.timeout,
      role,
      logGroup,
      tracing: Tracing.ACTIVE,
      environment,
      bundling: FUNCTION_BUNDLING,
      ...(spec.concurrency !== undefined ? { reservedConcurrentExecutions: spec.concurrency } : {}),
    });
    return { spec, fn, logGroup, routes: served };
  }

  /**
   * An explicit role instead of AWSLambdaBasicExecutionRole (logs on every group of the account):
   * this function may write to its own log group, read the secrets of the accounts it calls
   * InvoiceXpress for, and use the run table, the accounts' secrets and the queues as its spec
   * says, only.
   */
  private createRole(spec: FunctionSpec, id: string, functionName: string, logGroup: logs.LogGroup, props: ServiceFunctionsProps): iam.Role {
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${functionName} execution role`,
    });
    logGroup.grantWrite(role);
    if (readsStageSecret(spec)) props.secret.grantRead(role);
    if (readsAccountSecrets(spec)) props.accountSecrets.grantRead(role);
    if (spec.accountAdmin !== undefined) props.accountSecrets.grantWrite(role, spec.accountAdmin);
    props.runTable.grant(
      role,
      {
        runTable: spec.runTable,
        registry: spec.registry ?? 'none',
        yearEnd: spec.yearEnd ?? 'none',
        dispatch: spec.fanout === undefined ? 'none' : spec.fanout === 'dispatch' ? 'open' : 'work',
        budget: spendsBudget(spec),
        reach: tableReach(spec),
      },
      props.config.invoiceXpressAccount,
    );
    props.notifications.grant(role, spec.notifications ?? 'none');
    if (spec.fanout !== undefined) props.fanout.grant(role, spec.fanout);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray statement added by active tracing (xray:PutTraceSegments, xray:PutTelemetryRecords): these actions do not support resource-level permissions.',
    });
    return role;
  }
}

/** True when the function reads or writes any item of the run table (and so needs its name). */
function usesRunTable(spec: FunctionSpec): boolean {
  return spec.runTable !== 'none' || spec.yearEnd !== undefined || spec.fanout !== undefined;
}

/** What a function reads from its environment, as its spec says (shared/runtime/env.ts parses it). */
function environmentOf(spec: FunctionSpec, props: ServiceFunctionsProps): Record<string, string> {
  const { config, secret, runTable, notifications } = props;
  const tableName = runTable.table.tableName;
  const environment: Record<string, string> = {
    STAGE: config.stage,
    POWERTOOLS_LOG_LEVEL: config.logLevel,
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  };
  if (spec.invoiceXpress) {
    environment['IX_SECRET_ID'] = secret.secretId;
    environment['SECRET_TTL_SECONDS'] = String(config.secretTtlSeconds);
  }
  if (spec.invoiceXpress || spec.accountAdmin !== undefined) {
    Object.assign(environment, budgetEnvironment(config, tableName));
    environment['IX_TIMEOUT_MS'] = String(config.ixTimeoutMs);
  }
  // The registry is the run table's ACCOUNTS items; every InvoiceXpress caller resolves accounts through it.
  if (spec.invoiceXpress || spec.registry !== undefined) environment['IX_ACCOUNTS_TABLE_NAME'] = tableName;
  if (spec.accountAdmin !== undefined) Object.assign(environment, props.accountSecrets.environment());
  if (spec.rolloverSettings) {
    if (config.serieFamilies === undefined) environment['SERIE_TEMPLATES'] = config.serieTemplates.join(',');
    else environment['SERIE_FAMILIES'] = JSON.stringify(config.serieFamilies);
    environment['ROLLOVER_TIME_ZONE'] = config.scheduleTimeZone;
  }
  if (usesRunTable(spec)) environment['ROLLOVER_TABLE_NAME'] = tableName;
  // The run table's keys start with the account's name (shared/rollover/run-table.ts); the admin functions refuse to register it.
  if (spec.runTable !== 'none' || spec.accountAdmin !== undefined) environment['IX_ACCOUNT_NAME'] = config.invoiceXpressAccount;
  if (spec.fanout !== undefined) Object.assign(environment, props.fanout.environment(spec.fanout));
  Object.assign(environment, notifications.environment(spec.notifications ?? 'none'));
  return environment;
}

/** The InvoiceXpress request budgets (shared/budget), items of the run table. */
function budgetEnvironment(config: StageConfig, tableName: string): Record<string, string> {
  return {
    IX_BUDGET_TABLE_NAME: tableName,
    IX_BUDGET_PER_MINUTE: String(config.invoiceXpressRequestsPerMinute),
    IX_BUDGET_BURST: String(config.invoiceXpressBudget.burst),
    IX_BUDGET_ROLLOVER_RESERVE: String(config.invoiceXpressBudget.rolloverReserve),
  };
}
