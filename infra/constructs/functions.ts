import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Duration, Validations } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../shared/http/route-spec.ts';
import { apiRoutes } from '../access.ts';
import { FUNCTION_BUNDLING } from '../bundling.ts';
import type { StageConfig } from '../config.ts';
import { PROJECT_ROOT, SERVICE_NAME, pascalCase } from '../names.ts';
import { DELIVERY_TIMEOUT } from './notifications.ts';
import type { NotificationAccess, ServiceNotifications } from './notifications.ts';
import type { ServiceSecret } from './secret.ts';
import type { RolloverRunTable, RunTableAccess } from './run-table.ts';

/** One Lambda function: what it is and what it needs. Routes come from the route table. */
export interface FunctionSpec {
  /** functions/<entry>.ts; also the suffix of the function's name. */
  readonly entry: string;
  readonly timeout: Duration;
  /** `write`: it runs rollovers (takes the lock, records runs); `read`: it shows runs; `lease`: it registers with AT (registration leases). */
  readonly runTable: RunTableAccess;
  /** Gets the serie templates and the rollover time zone. */
  readonly rolloverSettings: boolean;
  /** Calls InvoiceXpress, so reads the secret; the others get no grant on it (nor its key). */
  readonly invoiceXpress: boolean;
  /** For a function no route serves (the routes' functions are described by their route). */
  readonly description?: string;
  /** Reserved (and maximum) concurrency. */
  readonly concurrency?: number;
  /** What it does with notifications (infra/constructs/notifications.ts); default none. */
  readonly notifications?: NotificationAccess;
}

// API Gateway gives up after 29 s: 28 s lets every API function answer its own 504 first (each
// handler works to a deadline taken from the remaining time).
const API_TIMEOUT = Duration.seconds(28);
// The scheduled rollover is not behind API Gateway: room for InvoiceXpress retries and waits
// on a 429 (up to a minute), while staying well under the lock's expiry.
const SCHEDULED_TIMEOUT = Duration.seconds(300);
// The work is I/O-bound, but Lambda CPU scales with memory and cold starts (bundle parse, TLS)
// are CPU-bound; 512 MB on arm64 keeps callers' latency low at negligible cost for this traffic.
const MEMORY_MB = 512;

/** Every function of the service, one line each. */
export const FUNCTION_SPECS: readonly FunctionSpec[] = [
  { entry: 'list-sequences', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: true },
  { entry: 'get-sequence', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: true },
  // The functions that change the account publish its events (sequence numbers, queue, bus).
  { entry: 'create-sequence', timeout: API_TIMEOUT, runTable: 'lease', rolloverSettings: false, invoiceXpress: true, notifications: 'publish' },
  { entry: 'register-sequence', timeout: API_TIMEOUT, runTable: 'lease', rolloverSettings: false, invoiceXpress: true, notifications: 'publish' },
  { entry: 'set-current-sequence', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: true, notifications: 'publish' },
  { entry: 'rollover-run', timeout: API_TIMEOUT, runTable: 'write', rolloverSettings: true, invoiceXpress: true, notifications: 'publish' },
  { entry: 'rollover-status', timeout: API_TIMEOUT, runTable: 'read', rolloverSettings: true, invoiceXpress: true },
  // Reads a run record by key: needs the account's name (configuration), not its API key.
  { entry: 'rollover-run-record', timeout: API_TIMEOUT, runTable: 'read', rolloverSettings: false, invoiceXpress: false },
  // One run at a time: a second scheduled event waits (Lambda retries throttled events itself).
  {
    entry: 'rollover-scheduled',
    timeout: SCHEDULED_TIMEOUT,
    runTable: 'write',
    rolloverSettings: true,
    invoiceXpress: true,
    concurrency: 1,
    notifications: 'publish',
    description: 'yearly rollover, invoked by EventBridge Scheduler',
  },
  // The delivery log (read) and redelivery (it re-enqueues): no InvoiceXpress, no run table.
  { entry: 'notifications-list', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: false, notifications: 'read' },
  { entry: 'notification-get', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: false, notifications: 'read' },
  { entry: 'notification-redeliver', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: false, notifications: 'redeliver' },
  { entry: 'notifications-redeliver', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: false, notifications: 'redeliver' },
  // The only reader of the webhooks secret: signs and POSTs every attempt, from the notification queue.
  {
    entry: 'notification-delivery',
    timeout: DELIVERY_TIMEOUT,
    runTable: 'none',
    rolloverSettings: false,
    invoiceXpress: false,
    notifications: 'deliver',
    description: 'webhook deliveries, from the notification queue',
  },
];

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
  readonly removalPolicy: RemovalPolicy;
  readonly specs?: readonly FunctionSpec[];
}

/**
 * The functions: each with its own log group and its own role (its log group, the secret, and
 * the run table only as its spec says), on nodejs24.x/arm64 with active tracing.
 */
export class ServiceFunctions extends Construct {
  readonly all: readonly ServiceFunction[];

  constructor(scope: Construct, id: string, props: ServiceFunctionsProps) {
    super(scope, id);
    assertLocalEsbuild();
    const specs = props.specs ?? FUNCTION_SPECS;
    const routes = apiRoutes();
    for (const route of routes) {
      if (!specs.some((spec) => spec.entry === route.entry)) {
        throw new Error(
          `Route ${route.method} ${route.path} is served by "${route.entry}", which has no line in FUNCTION_SPECS (infra/constructs/functions.ts)`,
        );
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

  /** The functions that call InvoiceXpress: the only roles that may read the secret. */
  get invoiceXpressCallers(): readonly ServiceFunction[] {
    return this.all.filter((f) => f.spec.invoiceXpress);
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
   * this function may write to its own log group, read the stage's secret and use the run table
   * as its spec says, only.
   */
  private createRole(spec: FunctionSpec, id: string, functionName: string, logGroup: logs.LogGroup, props: ServiceFunctionsProps): iam.Role {
    const { config } = props;
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${functionName} execution role`,
    });
    logGroup.grantWrite(role);
    if (spec.invoiceXpress) {
      props.secret.grantRead(role);
      props.runTable.grantBudget(role, config.invoiceXpressAccount);
    }
    props.runTable.grant(role, spec.runTable, config.invoiceXpressAccount);
    props.notifications.grant(role, spec.notifications ?? 'none');
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray statement added by active tracing (xray:PutTraceSegments, xray:PutTelemetryRecords): these actions do not support resource-level permissions.',
    });
    return role;
  }
}

/** What a function reads from its environment, as its spec says (shared/runtime/env.ts parses it). */
function environmentOf(spec: FunctionSpec, { config, secret, runTable, notifications }: ServiceFunctionsProps): Record<string, string> {
  const environment: Record<string, string> = {
    STAGE: config.stage,
    POWERTOOLS_LOG_LEVEL: config.logLevel,
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  };
  if (spec.invoiceXpress) {
    Object.assign(environment, budgetEnvironment(config, runTable.table.tableName));
    environment['IX_SECRET_ID'] = secret.secretId;
    environment['SECRET_TTL_SECONDS'] = String(config.secretTtlSeconds);
    environment['IX_TIMEOUT_MS'] = String(config.ixTimeoutMs);
  }
  if (spec.rolloverSettings) {
    if (config.serieFamilies === undefined) environment['SERIE_TEMPLATES'] = config.serieTemplates.join(',');
    else environment['SERIE_FAMILIES'] = JSON.stringify(config.serieFamilies);
    environment['ROLLOVER_TIME_ZONE'] = config.scheduleTimeZone;
  }
  if (spec.runTable !== 'none') {
    environment['ROLLOVER_TABLE_NAME'] = runTable.table.tableName;
    // The run table's keys start with the account's name (shared/rollover/run-table.ts).
    environment['IX_ACCOUNT_NAME'] = config.invoiceXpressAccount;
  }
  Object.assign(environment, notifications.environment(spec.notifications ?? 'none'));
  return environment;
}

/** The account's InvoiceXpress request budget (shared/budget), one item of the run table. */
function budgetEnvironment(config: StageConfig, tableName: string): Record<string, string> {
  return {
    IX_BUDGET_TABLE_NAME: tableName,
    IX_BUDGET_PER_MINUTE: String(config.invoiceXpressRequestsPerMinute),
    IX_BUDGET_BURST: String(config.invoiceXpressBudget.burst),
    IX_BUDGET_ROLLOVER_RESERVE: String(config.invoiceXpressBudget.rolloverReserve),
  };
}
