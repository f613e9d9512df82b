import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

/**
 * Builds API Gateway REST (proxy integration) events the way API Gateway sends them, for the
 * local gateway and the handler tests: multi-value headers and query, null where API Gateway
 * sends null, requestContext with a request id and an IAM identity.
 */
export interface ApiEventInput {
  method: string;
  /** The request path as the caller sent it, e.g. /sequences/146090/register */
  path: string;
  /** The API Gateway resource it matched, e.g. /sequences/{id}/register */
  resource: string;
  pathParameters?: Record<string, string> | null;
  query?: Record<string, string[]>;
  headers?: Record<string, string | string[]>;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestId?: string;
  stage?: string;
}

export function apiGatewayEvent(input: ApiEventInput): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    multiValueHeaders[name] = values;
    const last = values.at(-1);
    if (last !== undefined) headers[name] = last;
  }
  const query = input.query ?? {};
  const hasQuery = Object.keys(query).length > 0;
  const requestId = input.requestId ?? randomUUID();
  const stage = input.stage ?? 'local';
  return {
    resource: input.resource,
    path: input.path,
    httpMethod: input.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? Object.fromEntries(Object.entries(query).map(([key, values]) => [key, values.at(-1) ?? ''])) : null,
    multiValueQueryStringParameters: hasQuery ? query : null,
    pathParameters: input.pathParameters ?? null,
    stageVariables: null,
    body: input.body ?? null,
    isBase64Encoded: input.isBase64Encoded ?? false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: input.method,
      identity: {
        accessKey: null,
        accountId: '000000000000',
        apiKey: null,
        apiKeyId: null,
        caller: 'local',
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: 'local',
        userAgent: headers['user-agent'] ?? headers['User-Agent'] ?? null,
        userArn: 'arn:aws:iam::000000000000:user/local',
      },
      path: `/${stage}${input.path}`,
      stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: input.resource,
    },
  };
}

/** A Lambda context for in-process invocations. */
export function lambdaContext(functionName: string, timeoutMs = 28_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
