import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SandboxAccountOptions } from '../sandbox/types.ts';
import { accountAfterPut, PutAccountBodySchema } from '../shared/accounts/model.ts';
import { dynamoDbAccountRegistry } from '../shared/accounts/registry.ts';
import { secretsManagerAccountSecrets } from '../shared/accounts/secrets.ts';

/**
 * Registered accounts for the bench, written the way the admin function writes them (the account's
 * secret through the real SDK into the loopback Secrets Manager, the record into the registry on
 * dynalite), without its key check: the bench measures the rollover, not the registration.
 */
export interface BenchAccounts {
  /** Adds the account to the sandbox (`addToSandbox`) and registers it. */
  add(name: string, options: SandboxAccountOptions): Promise<void>;
  /** Disables them (a later dispatch leaves them out). */
  disable(names: readonly string[]): Promise<void>;
  close(): void;
}

export function benchAccounts(options: {
  addToSandbox: (name: string, options: SandboxAccountOptions) => unknown;
  dynamo: DynamoDBClient;
  tableName: string;
  secretsManagerUrl: string;
  stage: string;
}): BenchAccounts {
  const registry = dynamoDbAccountRegistry({ tableName: options.tableName, client: options.dynamo });
  const client = new SecretsManagerClient({
    endpoint: options.secretsManagerUrl,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const secrets = secretsManagerAccountSecrets({ stage: options.stage, client });
  return {
    async add(name, sandboxOptions) {
      await options.addToSandbox(name, sandboxOptions);
      await secrets.save(name, { accountName: name, apiKey: sandboxOptions.apiKey });
      await registry.put(accountAfterPut(name, PutAccountBodySchema.parse({ apiKey: sandboxOptions.apiKey }), undefined, new Date().toISOString()));
    },
    async disable(names) {
      for (const name of names) {
        const record = await registry.get(name);
        if (record !== undefined) await registry.put({ ...record, enabled: false });
      }
    },
    close: () => client.destroy(),
  };
}
