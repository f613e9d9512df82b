import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand, RestoreSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ServiceSecret } from '../runtime/secret.ts';

/**
 * Each registered account's key lives in a Secrets Manager secret of its own, under the stage's
 * accounts path: `ix-sequences/<stage>/accounts/<account>`, holding `{"accountName","apiKey"}` like
 * the stage's own secret. The stack grants reading that path to the functions that call
 * InvoiceXpress, and writing it only to the admin functions (infra/constructs/account-secrets.ts).
 */
export const accountSecretsPath = (stage: string): string => `ix-sequences/${stage}/accounts/`;
export const accountSecretName = (stage: string, account: string): string => `${accountSecretsPath(stage)}${account}`;

/** Deleted accounts' keys are kept this long (Secrets Manager's shortest recovery window): a PUT before then restores them. */
export const SECRET_RECOVERY_DAYS = 7;

export interface AccountSecretWriter {
  /** Creates the account's secret, or puts a new value in it (restoring it if its deletion was scheduled). */
  save(account: string, secret: ServiceSecret): Promise<void>;
  /** Schedules the secret's deletion; the date it will be deleted (none: no secret, or already scheduled). */
  scheduleDeletion(account: string): Promise<string | undefined>;
}

const named = (error: unknown, name: string): boolean => error instanceof Error && error.name === name;

export function secretsManagerAccountSecrets(options: { stage: string; kmsKeyId?: string | undefined; client?: SecretsManagerClient }): AccountSecretWriter {
  const client = options.client ?? new SecretsManagerClient({});
  const nameOf = (account: string): string => accountSecretName(options.stage, account);

  async function putValue(account: string, value: string): Promise<void> {
    try {
      await client.send(new PutSecretValueCommand({ SecretId: nameOf(account), SecretString: value }));
    } catch (error) {
      // A deleted account's secret, within its recovery window: restore it, then put the value.
      if (!named(error, 'InvalidRequestException')) throw error;
      await client.send(new RestoreSecretCommand({ SecretId: nameOf(account) }));
      await client.send(new PutSecretValueCommand({ SecretId: nameOf(account), SecretString: value }));
    }
  }

  return {
    async save(account, secret) {
      const value = JSON.stringify({ accountName: secret.accountName, apiKey: secret.apiKey });
      try {
        await client.send(
          new CreateSecretCommand({
            Name: nameOf(account),
            SecretString: value,
            Description: `InvoiceXpress API key of account ${account} (ix-sequences ${options.stage}); written by PUT /accounts/${account}`,
            ...(options.kmsKeyId === undefined ? {} : { KmsKeyId: options.kmsKeyId }),
            Tags: [{ Key: 'ix-sequences:account', Value: account }],
          }),
        );
      } catch (error) {
        if (!named(error, 'ResourceExistsException')) throw error;
        await putValue(account, value);
      }
    },

    async scheduleDeletion(account) {
      try {
        const answer = await client.send(new DeleteSecretCommand({ SecretId: nameOf(account), RecoveryWindowInDays: SECRET_RECOVERY_DAYS }));
        return answer.DeletionDate?.toISOString();
      } catch (error) {
        // No secret, or its deletion is scheduled already (a repeated DELETE): the record keeps the date.
        if (named(error, 'ResourceNotFoundException') || named(error, 'InvalidRequestException')) return undefined;
        throw error;
      }
    },
  };
}
