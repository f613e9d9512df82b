import { createServer } from 'node:http';
import { listenOnLoopback, readBody } from '../sandbox/loopback.ts';

/**
 * A loopback stand-in for the one Secrets Manager call the service makes (GetSecretValue, AWS
 * JSON 1.1 protocol). Pointing AWS_ENDPOINT_URL_SECRETS_MANAGER at it lets `npm start` and the
 * tests run the real SDK path without AWS: the secret-source seam is the only thing replaced.
 */
export interface LocalSecretsManager {
  readonly url: string;
  /** GetSecretValue calls answered so far (cache hits never reach here). */
  readonly calls: number;
  setSecretString(value: string): void;
  /** Answer GetSecretValue with this AWS error type until cleared (e.g. ResourceNotFoundException). */
  failWith(errorType: string | undefined): void;
  close(): Promise<void>;
}

export async function startLocalSecretsManager(options: { secretString: string; secretName?: string }): Promise<LocalSecretsManager> {
  let secretString = options.secretString;
  let failure: string | undefined;
  let calls = 0;
  const name = options.secretName ?? 'ix-sequences/local';
  const arn = `arn:aws:secretsmanager:eu-west-1:000000000000:secret:${name}-LOCAL1`;

  const server = createServer((request, response) => {
    // The body (the SecretId) is not needed: there is one secret.
    void readBody(request).then(() => {
      const target = request.headers['x-amz-target'];
      const answer = (status: number, body: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      };
      if (target !== 'secretsmanager.GetSecretValue') {
        answer(400, { __type: 'UnknownOperationException', message: 'Only GetSecretValue is served locally' });
        return;
      }
      calls += 1;
      if (failure !== undefined) {
        answer(400, { __type: failure, message: `Local Secrets Manager answers ${failure}` });
        return;
      }
      answer(200, {
        ARN: arn,
        Name: name,
        VersionId: 'local-version',
        SecretString: secretString,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Math.floor(Date.now() / 1000),
      });
    });
  });
  const url = await listenOnLoopback(server);

  return {
    url,
    get calls() {
      return calls;
    },
    setSecretString: (value) => {
      secretString = value;
    },
    failWith: (errorType) => {
      failure = errorType;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The environment a function module needs to run locally: the AWS SDK pointed at the loopback
 * Secrets Manager and DynamoDB (dummy credentials), InvoiceXpress at the sandbox. Set it before importing a
 * function module (they parse the environment at import, as at a Lambda cold start).
 */
export function localFunctionEnvironment(options: {
  secretsManagerUrl: string;
  invoiceXpressUrl: string;
  /** The local DynamoDB (dynalite) and its run table, for the rollover functions. */
  dynamo: { url: string; tableName: string };
  /** The sandbox's account name, as the stack passes the stage's invoiceXpressAccount. */
  accountName: string;
  stage: string;
}): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: options.secretsManagerUrl,
    AWS_ENDPOINT_URL_DYNAMODB: options.dynamo.url,
    ROLLOVER_TABLE_NAME: options.dynamo.tableName,
    IX_ACCOUNT_NAME: options.accountName,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    IX_SECRET_ID: `ix-sequences/${options.stage}`,
    IX_BASE_URL: options.invoiceXpressUrl,
    STAGE: options.stage,
    // Only local runs: plain-http sandbox, http: webhooks to loopback, no request budget unless set.
    LOCAL_RUN: 'true',
    POWERTOOLS_SERVICE_NAME: 'ix-sequences',
  };
}
