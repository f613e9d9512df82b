import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSecretsManager } from '../../local/secrets-manager-endpoint.ts';
import type { LocalSecretsManager } from '../../local/secrets-manager-endpoint.ts';
import { accountSecretName, secretsManagerAccountSecrets } from '../../shared/accounts/secrets.ts';

/**
 * The loopback Secrets Manager through the real @aws-sdk/client-secrets-manager: many secrets by
 * name or ARN, with AWS's answers around a deletion's recovery window; and the registered
 * accounts' secret writer (shared/accounts/secrets.ts) against it, deletion and restore included.
 */

const STAGE_SECRET = 'ix-sequences/test';
let secrets: LocalSecretsManager;
let client: SecretsManagerClient;

beforeAll(async () => {
  secrets = await startLocalSecretsManager({
    secretName: STAGE_SECRET,
    secretString: JSON.stringify({ accountName: 'sandbox', apiKey: 'k-local-sm-stage-4f1a' }),
  });
  client = new SecretsManagerClient({ endpoint: secrets.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => {
  client?.destroy();
  await secrets?.close();
});

/** The AWS error name a call rejects with. */
async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof Error ? error.name : String(error);
  }
  throw new Error('expected the call to fail');
}

const read = async (secretId: string): Promise<string | undefined> => (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;

describe('the loopback Secrets Manager', () => {
  it('holds secrets by name, answers each by its name or its ARN, and records every read in order', async () => {
    const created = await client.send(new CreateSecretCommand({ Name: 'ix-sequences/test/accounts/alpha', SecretString: '{"v":1}' }));
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:eu-west-1:000000000000:secret:ix-sequences\/test\/accounts\/alpha-[0-9a-f]{6}$/);
    const before = secrets.reads().length;
    expect(await read('ix-sequences/test/accounts/alpha')).toBe('{"v":1}');
    expect(await read(created.ARN ?? '')).toBe('{"v":1}');
    expect(JSON.parse((await read(STAGE_SECRET)) ?? '{}')).toMatchObject({ accountName: 'sandbox' });
    expect(await errorOf(read('ix-sequences/test/accounts/nobody'))).toBe('ResourceNotFoundException');
    expect(secrets.reads().slice(before)).toEqual(['ix-sequences/test/accounts/alpha', created.ARN, STAGE_SECRET, 'ix-sequences/test/accounts/nobody']);
    expect(await errorOf(client.send(new CreateSecretCommand({ Name: 'ix-sequences/test/accounts/alpha', SecretString: '{}' })))).toBe(
      'ResourceExistsException',
    );
  });

  it('a secret scheduled for deletion: reads, writes, a second delete and CreateSecret of its name are InvalidRequestException until restored', async () => {
    const name = 'ix-sequences/test/accounts/beta';
    await client.send(new CreateSecretCommand({ Name: name, SecretString: '{"v":1}' }));
    const deleted = await client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    expect((deleted.DeletionDate?.getTime() ?? 0) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect((await client.send(new DescribeSecretCommand({ SecretId: name }))).DeletedDate).toEqual(deleted.DeletionDate);
    expect(await errorOf(read(name))).toBe('InvalidRequestException');
    expect(await errorOf(client.send(new PutSecretValueCommand({ SecretId: name, SecretString: '{"v":2}' })))).toBe('InvalidRequestException');
    expect(await errorOf(client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 })))).toBe('InvalidRequestException');
    expect(await errorOf(client.send(new CreateSecretCommand({ Name: name, SecretString: '{}' })))).toBe('InvalidRequestException');
    await client.send(new RestoreSecretCommand({ SecretId: name }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: '{"v":2}' }));
    expect(await read(name)).toBe('{"v":2}');
    expect(await errorOf(client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 3 })))).toBe('InvalidParameterException');
  });

  it('failWith fails the reads of one secret, or of every secret', async () => {
    secrets.failWith('DecryptionFailure', STAGE_SECRET);
    expect(await errorOf(read(STAGE_SECRET))).toBe('DecryptionFailure');
    expect(await read('ix-sequences/test/accounts/alpha')).toBe('{"v":1}');
    secrets.failWith('InternalServiceError');
    expect(await errorOf(read('ix-sequences/test/accounts/alpha'))).toBe('InternalServiceError');
    secrets.failWith(undefined);
    secrets.failWith(undefined, STAGE_SECRET);
    expect(await read(STAGE_SECRET)).toBeDefined();
  });
});

describe("a registered account's secret (shared/accounts/secrets.ts) against it", () => {
  it('save creates it, save again puts a new value, deletion is scheduled once, and a save within the recovery window restores it', async () => {
    const writer = secretsManagerAccountSecrets({ stage: 'test', client });
    const name = accountSecretName('test', 'shop-a');
    await writer.save('shop-a', { accountName: 'shop-a', apiKey: 'k-local-sm-shop-a-1' });
    await writer.save('shop-a', { accountName: 'shop-a', apiKey: 'k-local-sm-shop-a-2' });
    expect(JSON.parse((await read(name)) ?? '{}')).toEqual({ accountName: 'shop-a', apiKey: 'k-local-sm-shop-a-2' });

    expect(await writer.scheduleDeletion('shop-a')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await errorOf(read(name))).toBe('InvalidRequestException');
    // AWS refuses CreateSecret of a name whose deletion is scheduled (InvalidRequestException): save restores it instead.
    await writer.save('shop-a', { accountName: 'shop-a', apiKey: 'k-local-sm-shop-a-3' });
    expect(JSON.parse((await read(name)) ?? '{}')).toEqual({ accountName: 'shop-a', apiKey: 'k-local-sm-shop-a-3' });
    expect(await writer.scheduleDeletion('nobody')).toBeUndefined();
  });
});
