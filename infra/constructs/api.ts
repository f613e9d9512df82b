import { Annotations, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ACCESS_LEVELS, executeApiPath, routesForLevel } from '../access.ts';
import type { AccessLevel } from '../access.ts';
import type { StageConfig } from '../config.ts';
import { API_STAGE_NAME, SERVICE_NAME, pascalCase } from '../names.ts';
import { nagResource } from '../nag.ts';
import { assertPolicySize, callerPolicy } from '../resource-policy.ts';
import type { ServiceFunctions } from './functions.ts';

export interface StageThrottling {
  /** Steady requests per second (API Gateway's token refill rate). */
  readonly rateLimit: number;
  /** Bucket size: requests that may arrive at once after a quiet spell. */
  readonly burstLimit: number;
}

/**
 * API Gateway's token bucket from a number of InvoiceXpress requests a minute: in any 60 seconds
 * it lets through at most burst + 60 x rate requests; half as burst and half as the steady rate
 * keeps that at `requestsPerMinute`.
 */
export function throttlingFor(requestsPerMinute: number): StageThrottling {
  return {
    // Rounded down to 3 decimals (API Gateway needs a rate above 0).
    rateLimit: Math.max(0.001, Math.floor((requestsPerMinute / 120) * 1000) / 1000),
    burstLimit: Math.max(1, Math.floor(requestsPerMinute / 2)),
  };
}

/**
 * InvoiceXpress requests one call of each route makes on its usual path (no retries, one list
 * page): set_current reads (and lists) before and reads after, create-as-default reads before and after, register reads the state
 * before and after, an activation lists, reads and switches. 0: the route never calls InvoiceXpress.
 */
export const INVOICEXPRESS_CALLS_PER_REQUEST: Readonly<Record<string, number>> = {
  listSequences: 1,
  getSequence: 1,
  createSequence: 3,
  registerSequence: 3,
  // get and list (the previous default, for serie.activated) side by side, set_current, get.
  setCurrentSequence: 4,
  runRollover: 8,
  rolloverStatus: 1,
  rolloverRunRecord: 0,
  // The registry: registering (or re-keying) an account checks its key with one list call.
  putAccount: 1,
  getAccount: 0,
  listAccounts: 0,
  deleteAccount: 0,
  // The fan-out queues accounts and reads the year-end statuses: the worker calls InvoiceXpress, not the route.
  dispatchRollover: 0,
  rolloverAccounts: 0,
};

/** Routes under these paths never call InvoiceXpress (the delivery log and redelivery: the notifications table). */
const WITHOUT_INVOICEXPRESS = ['/notifications'];
/** A registered account's route (account-scope.ts) costs what the default account's does, on that account's budget. */
const FOR_ACCOUNT = /ForAccount$/;

/** What one request of `route` costs InvoiceXpress; undefined when nobody said. */
function invoiceXpressCallsOf(route: { operationId: string; path: string }): number | undefined {
  if (WITHOUT_INVOICEXPRESS.some((path) => route.path === path || route.path.startsWith(`${path}/`))) return 0;
  return INVOICEXPRESS_CALLS_PER_REQUEST[route.operationId.replace(FOR_ACCOUNT, '')];
}

/**
 * The API's share of the account's budget a minute: everything but the rollover's reserve
 * (shared/budget). The budget is what holds the line (it counts every attempt, in every container);
 * API Gateway's limits, per method from this share and the method's weight, turn most excess away
 * before a Lambda invocation.
 */
export function apiShareOf(config: Pick<StageConfig, 'invoiceXpressRequestsPerMinute' | 'invoiceXpressBudget'>): number {
  return config.invoiceXpressRequestsPerMinute - config.invoiceXpressBudget.rolloverReserve;
}

/** Per-method throttling: the API's share divided by what one request of the route costs. */
export function methodThrottlingFor(apiShare: number, callsPerRequest: number): StageThrottling {
  return throttlingFor(apiShare / Math.max(1, callsPerRequest));
}

export interface ServiceApiProps {
  readonly config: StageConfig;
  readonly prefix: string;
  readonly functions: ServiceFunctions;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The REST API: one IAM-authorized Lambda proxy method per route of the shared route table,
 * JSON access logs, a resource policy that allows each access level's callers and denies everyone
 * else, one managed policy per level for callers listed by account, and the URL in SSM.
 */
export class ServiceApi extends Construct {
  readonly api: apigw.RestApi;
  /** Invoke policies for same-account callers, by level. */
  readonly invokePolicies: Readonly<Record<AccessLevel, iam.ManagedPolicy>>;
  readonly urlParameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: ServiceApiProps) {
    super(scope, id);
    const { config, prefix, removalPolicy } = props;
    const retention = config.logRetentionDays as logs.RetentionDays;
    const policy = callerPolicy(config);
    assertPolicySize(Stack.of(this), policy);
    if (config.callers.length === 0) {
      Annotations.of(Stack.of(this)).addWarningV2(
        'ix-sequences:api-without-callers',
        `Stage "${config.stage}": no callers are listed, so the API's resource policy denies every request. Add callers in infra/config.ts (docs/callers.md).`,
      );
    }
    this.api = this.createRestApi(props, policy, retention);
    // A resource policy takes effect only with a new deployment, and CDK does not count it in
    // the deployment's identity: changing the callers must redeploy the stage.
    this.api.latestDeployment?.addToLogicalId({ policy: Stack.of(this).resolve(policy.toJSON()) as unknown });

    this.addRoutes(props.functions);

    // API Gateway creates the execution log group itself, without retention; owning it here gives
    // it the stage's retention and removal policy.
    const executionLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${API_STAGE_NAME}`,
      retention,
      removalPolicy,
    });
    this.api.deploymentStage.node.addDependency(executionLogs);

    this.invokePolicies = this.createInvokePolicies(prefix);
    this.urlParameter = new ssm.StringParameter(this, 'UrlParameter', {
      parameterName: `/${SERVICE_NAME}/${config.stage}/api-url`,
      stringValue: this.api.url,
      description: `Base URL of the ${prefix} API (IAM-signed), ending in /${API_STAGE_NAME}/`,
    });
    this.acknowledgeFindings(config);
  }

  private createRestApi(
    { config, prefix, removalPolicy, functions }: ServiceApiProps,
    policy: iam.PolicyDocument,
    retention: logs.RetentionDays,
  ): apigw.RestApi {
    const apiShare = apiShareOf(config);
    const throttling = throttlingFor(apiShare);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/apigateway/${prefix}/access`,
      retention,
      removalPolicy,
    });
    return new apigw.RestApi(this, 'Resource', {
      restApiName: prefix,
      description: `${SERVICE_NAME} (${config.stage}): InvoiceXpress sequences and yearly rollover`,
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // Every method is IAM-signed. No CORS preflight: callers are services, not browsers, and an
      // OPTIONS method would have to be unauthenticated.
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      cloudWatchRole: config.manageApiGatewayLogsRole,
      // The account-level setting outlives this stack: other APIs in the region may rely on it.
      ...(config.manageApiGatewayLogsRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      policy,
      deployOptions: {
        stageName: API_STAGE_NAME,
        throttlingRateLimit: throttling.rateLimit,
        throttlingBurstLimit: throttling.burstLimit,
        methodOptions: methodThrottling(functions, { defaultAccount: apiShare, registered: config.registeredAccountsRequestsPerMinute }),
        tracingEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
        // Execution logs for errors only; never request/response bodies (dataTrace).
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        // Per-method metrics (Count, Latency, 4XX/5XX per route) for the dashboard.
        metricsEnabled: true,
      },
    });
  }

  /** One method per route of the route table, integrated with the function serving it. */
  private addRoutes(functions: ServiceFunctions): void {
    for (const served of functions.apiFunctions) {
      for (const route of served.routes) {
        // No test-invoke permission: console test calls bypass IAM auth semantics and are not needed.
        const integration = new apigw.LambdaIntegration(served.fn, { allowTestInvoke: false });
        this.api.root.resourceForPath(route.path).addMethod(route.method, integration, { operationName: route.operationId });
      }
    }
  }

  private createInvokePolicies(prefix: string): Record<AccessLevel, iam.ManagedPolicy> {
    const stack = Stack.of(this);
    const entries = ACCESS_LEVELS.map((level) => {
      const resources = routesForLevel(level).map((route) => this.api.arnForExecuteApi(route.method, executeApiPath(route), API_STAGE_NAME));
      const policy = new iam.ManagedPolicy(this, `Invoke${pascalCase(level)}Policy`, {
        managedPolicyName: `${prefix}-invoke-${level}`,
        description: `Call the ${prefix} API at level "${level}" (attach to same-account callers)`,
        statements: [new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources })],
      });
      const wildcards = resources.map((r) => nagResource(stack, r)).filter((r) => r.includes('*'));
      Validations.of(policy).acknowledge(
        ...wildcards.map((resource) => ({
          id: `AwsSolutions-IAM5[Resource::${resource}]`,
          reason:
            'The * stands for a path parameter of one route (a sequence id, a year, a run id, an account name); the method is fixed and the level denies of the resource policy bound what it reaches.',
        })),
      );
      return [level, policy] as const;
    });
    return Object.fromEntries(entries) as Record<AccessLevel, iam.ManagedPolicy>;
  }

  private acknowledgeFindings(config: StageConfig): void {
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          "Lambda proxy integrations: every handler validates path, body and content type with zod and answers the contract's 400/415 errors; an API Gateway validator would answer in a different error shape.",
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'Callers are AWS services and roles: every method uses AWS_IAM (SigV4) authorization instead of Cognito user pools.',
      },
    );
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Internal IAM-authorized API: unsigned requests are rejected before any integration runs, and stage throttling bounds the rest; a WAF web ACL would add cost without a rule set that applies to signed service calls.',
    });
    if (config.manageApiGatewayLogsRole) {
      Validations.of(this.api.node.findChild('CloudWatchRole')).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-wide role API Gateway uses for access/execution logs of every API in the region; it must write log groups whose names API Gateway chooses, which is what this AWS managed policy grants.',
      });
    }
  }
}

/** `/path/METHOD` → its limits, for every route that calls InvoiceXpress. */
function methodThrottling(functions: ServiceFunctions, shares: { defaultAccount: number; registered: number }): Record<string, apigw.MethodDeploymentOptions> {
  const entries = functions.apiFunctions.flatMap((served) =>
    served.routes.flatMap((route) => {
      const calls = invoiceXpressCallsOf(route);
      if (calls === undefined) throw new Error(`${route.operationId}: say how many InvoiceXpress calls it makes (INVOICEXPRESS_CALLS_PER_REQUEST)`);
      if (calls === 0) return [];
      // A registered account's routes share the registered accounts' allowance (each account's budget holds its own line).
      const share = route.path.startsWith('/accounts/{account}') ? shares.registered : shares.defaultAccount;
      const { rateLimit, burstLimit } = methodThrottlingFor(share, calls);
      // A method's settings replace the stage's for it: metrics and error logs are restated.
      const options: apigw.MethodDeploymentOptions = {
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
      };
      return [[`${route.path}/${route.method}`, options] as const];
    }),
  );
  return Object.fromEntries(entries);
}

function accessLogFormat(): apigw.AccessLogFormat {
  const F = apigw.AccessLogField;
  return apigw.AccessLogFormat.custom(
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
}
