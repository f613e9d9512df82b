import type { APIGatewayProxyResult } from 'aws-lambda';
import { apiGatewayEvent, lambdaContext } from '../../local/api-gateway-event.ts';
import type { ApiEventInput } from '../../local/api-gateway-event.ts';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import type { LocalNotificationQueues } from '../../local/notifications.ts';
import { startLocalAws } from '../../local/local-aws.ts';
import { moduleLoader } from '../../local/gateway.ts';
import { startLocalRolloverWorker } from '../../local/rollover-worker.ts';
import type { LocalRolloverQueues, LocalRolloverWorker, LocalRolloverWorkerOptions } from '../../local/rollover-worker.ts';
import type { LocalSecretsManager } from '../../local/secrets-manager-endpoint.ts';
import { startSandbox } from '../../sandbox/server.ts';
import { silenceOutput } from './log-scan.ts';
import type { Sandbox, SandboxAccountOptions, SandboxOptions } from '../../sandbox/types.ts';
import { routeResponses } from '../../shared/http/response-schemas.ts';
import { routes } from '../../shared/http/routes.ts';
import type { RouteName } from '../../shared/http/routes.ts';

/**
 * Handler tests run the real function modules in-process: env parsed at import, the secret read
 * through the AWS SDK from a loopback Secrets Manager, InvoiceXpress reached over HTTP in the
 * sandbox. Each test file gets fresh modules (vitest isolates files), so one harness per file.
 */
export interface ApiHarness {
  sandbox: Sandbox;
  secretsManager: LocalSecretsManager;
  /** The run table's DynamoDB API (dynalite), reached by the functions through the real SDK. */
  dynamo: LocalDynamo;
  /** The notifications table and the delivery queues (loopback SQS). */
  notifications: LocalNotificationQueues;
  /** The rollover queue and its dead-letter queue (same loopback SQS). */
  rollover: LocalRolloverQueues;
  /** Every stdout/stderr chunk written since the harness started (the functions' JSON logs). */
  readonly logs: string[];
  /** `timeoutMs`: the function's remaining time as its Lambda context reports it (default 28 s). */
  invoke(name: RouteName, request?: Partial<ApiEventInput>, options?: { timeoutMs?: number }): Promise<ApiAnswer>;
  /** Adds account `name` to the sandbox (key `apiKey`, `settings`), then registers it: PUT /accounts/{name} (the account-put function). */
  registerAccount(name: string, apiKey: string, settings?: Omit<SandboxAccountOptions, 'apiKey'>): Promise<ApiAnswer>;
  /** The worker over the rollover queue (default: 'fresh' handlers); stopped when the harness closes. */
  startRolloverWorker(options?: Omit<LocalRolloverWorkerOptions, 'queues'>): Promise<LocalRolloverWorker>;
  close(): Promise<void>;
}

export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: Record<string, unknown>;
}

export async function startApiHarness(options: { sandbox?: SandboxOptions; env?: Record<string, string>; secretApiKey?: string } = {}): Promise<ApiHarness> {
  const sandbox = await startSandbox({ apiKey: 'k-handler-tests-9f2c41d0e7', ...options.sandbox });
  const localAws = await startLocalAws(sandbox, 'test', { secretApiKey: options.secretApiKey });
  const { secretsManager, dynamo, notifications, rollover } = localAws;
  Object.assign(process.env, localAws.environment, {
    IX_TIMEOUT_MS: '300',
    REGISTER_SETTLE_MS: '400',
    SECRET_TTL_SECONDS: '300',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    ...options.env,
  });

  // The functions' log lines, kept for assertions and off the test output.
  const output = silenceOutput();

  const load = moduleLoader();
  async function invoke(name: RouteName, request: Partial<ApiEventInput> = {}, options: { timeoutMs?: number } = {}): Promise<ApiAnswer> {
    const route = routes[name];
    const handler = await load(route);
    const event = apiGatewayEvent({ method: route.method, path: route.path, resource: route.path, ...request });
    const result: APIGatewayProxyResult = await handler(event, lambdaContext(route.entry, options.timeoutMs));
    const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(result.body) as Record<string, unknown>;
    } catch {
      // left empty: tests on the error shape will fail loudly
    }
    if (result.statusCode < 300) {
      // Every success body any test sees must match the documented (OpenAPI) schema.
      const checked = routeResponses[name].schema.safeParse(json);
      if (!checked.success) throw new Error(`${name} answered a body its schema rejects: ${JSON.stringify(checked.error.issues)}`);
    }
    return { status: result.statusCode, headers, text: result.body, json };
  }
  const workers: LocalRolloverWorker[] = [];
  return {
    sandbox,
    secretsManager,
    dynamo,
    notifications,
    rollover,
    get logs() {
      return output.lines();
    },
    invoke,
    registerAccount(name, apiKey, settings = {}) {
      sandbox.addAccount(name, { ...settings, apiKey });
      return invoke('putAccount', { pathParameters: { account: name }, ...jsonBody({ apiKey }) });
    },
    async startRolloverWorker(workerOptions = {}) {
      const worker = await startLocalRolloverWorker({ handler: 'fresh', ...workerOptions, queues: rollover });
      workers.push(worker);
      return worker;
    },
    async close() {
      output.restore();
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all([sandbox.close(), localAws.close()]);
    },
  };
}

/** The part of an API Gateway event a test gives (the rest is filled in like API Gateway does). */
export type ApiEventInputLike = Partial<ApiEventInput>;

/** A JSON request the way API Gateway passes it on. */
export function jsonBody(value: unknown): Partial<ApiEventInput> {
  return { body: JSON.stringify(value), headers: { 'Content-Type': 'application/json' } };
}
