import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LocalAws } from '../local/local-aws.ts';
import type { Sandbox, SandboxAccountOptions } from '../sandbox/types.ts';
import { accountAfterPut, PutAccountBodySchema } from '../shared/accounts/model.ts';
import { dynamoDbAccountRegistry } from '../shared/accounts/registry.ts';
import type { AccountRegistry } from '../shared/accounts/registry.ts';
import { secretsManagerAccountSecrets } from '../shared/accounts/secrets.ts';

/**
 * Registered accounts for the bench, written the way the admin function writes them (the account's
 * secret through the real SDK into the loopback Secrets Manager, the record into the registry on
 * dynalite), without its key check: the bench measures the rollover, not the registration.
 */
export interface BenchAccounts {
  registry: AccountRegistry;
  /** Adds the account to the sandbox and registers it. */
  add(name: string, options: SandboxAccountOptions & { timeZone?: string }): Promise<void>;
  /** Disables them (a later dispatch leaves them out). */
  disable(names: readonly string[]): Promise<void>;
  close(): void;
}

export function benchAccounts(sandbox: Sandbox, localAws: LocalAws, stage: string): BenchAccounts {
  const registry = dynamoDbAccountRegistry({ tableName: localAws.dynamo.tableName, client: localAws.dynamo.client });
  const client = new SecretsManagerClient({
    endpoint: localAws.secretsManager.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const secrets = secretsManagerAccountSecrets({ stage, client });
  return {
    registry,
    async add(name, options) {
      const { timeZone, ...sandboxOptions } = options;
      sandbox.addAccount(name, sandboxOptions);
      await secrets.save(name, { accountName: name, apiKey: options.apiKey });
      const body = PutAccountBodySchema.parse({ apiKey: options.apiKey, ...(timeZone === undefined ? {} : { timeZone }) });
      await registry.put(accountAfterPut(name, body, undefined, new Date().toISOString()));
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
