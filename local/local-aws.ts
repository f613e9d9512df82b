import type { Sandbox } from '../sandbox/types.ts';
import { startLocalDynamo } from './dynamodb.ts';
import type { LocalDynamo } from './dynamodb.ts';
import { localFunctionEnvironment, startLocalSecretsManager } from './secrets-manager-endpoint.ts';
import type { LocalSecretsManager } from './secrets-manager-endpoint.ts';

/**
 * The AWS services the functions use, as loopback stand-ins reached through the real SDK: a
 * Secrets Manager holding the sandbox's account and key, and DynamoDB (dynalite) with the run
 * table. `environment` is what a function module needs (set it before importing one: they parse
 * it at cold start). `npm start` and the tests start the same thing.
 */
export interface LocalAws {
  readonly secretsManager: LocalSecretsManager;
  readonly dynamo: LocalDynamo;
  readonly environment: Record<string, string>;
  close(): Promise<void>;
}

export async function startLocalAws(sandbox: Sandbox, stage: string, options: { secretApiKey?: string } = {}): Promise<LocalAws> {
  const [secretsManager, dynamo] = await Promise.all([
    startLocalSecretsManager({
      secretString: JSON.stringify({ accountName: sandbox.accountName, apiKey: options.secretApiKey ?? sandbox.apiKey }),
    }),
    startLocalDynamo(),
  ]);
  return {
    secretsManager,
    dynamo,
    environment: localFunctionEnvironment({ secretsManagerUrl: secretsManager.url, invoiceXpressUrl: sandbox.url, dynamo, accountName: sandbox.accountName, stage }),
    close: async () => {
      await Promise.all([secretsManager.close(), dynamo.close()]);
    },
  };
}
