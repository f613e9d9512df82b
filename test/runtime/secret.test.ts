import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvoiceXpressError } from '../../shared/invoicexpress/errors.ts';
import type { InvoiceXpressClient } from '../../shared/invoicexpress/types.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';
import { createInvoiceXpressSession } from '../../shared/runtime/invoicexpress-session.ts';
import { CachedSecret, parseServiceSecret, SecretError } from '../../shared/runtime/secret.ts';
import { secretsManagerSource } from '../../shared/runtime/secrets-manager.ts';

/** The Secrets Manager path with the SDK's own mock: cache, TTL, rotation on 401. */

const secretsManager = mockClient(SecretsManagerClient);
const secretJson = (apiKey: string) => JSON.stringify({ accountName: 'acme', apiKey });

beforeEach(() => {
  secretsManager.reset();
});

function cached(now: () => number, ttlMs = 300_000): CachedSecret {
  return new CachedSecret(secretsManagerSource('ix-sequences/test', new SecretsManagerClient({})), { ttlMs, now });
}

describe('parseServiceSecret', () => {
  it('parses an older secret that still names webhooks, and drops them (they live in the webhooks secret now)', () => {
    const old = JSON.stringify({ accountName: 'acme', apiKey: 'k', webhooks: [{ url: 'https://hooks.example.com/x?token=t', secret: 's3cr3t' }] });
    expect(parseServiceSecret(old)).toEqual({ accountName: 'acme', apiKey: 'k' });
    // Even a malformed old field does not make the secret invalid.
    expect(parseServiceSecret(JSON.stringify({ accountName: 'acme', apiKey: 'k', webhooks: 'nonsense' }))).toEqual({ accountName: 'acme', apiKey: 'k' });
  });
});

describe('CachedSecret over Secrets Manager', () => {
  it('reads once per TTL, asks for the configured secret id, shares one in-flight read', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretJson('key-1') });
    let now = 0;
    const secret = cached(() => now);
    const [a, b] = await Promise.all([secret.get(), secret.get()]);
    expect(a).toEqual({ accountName: 'acme', apiKey: 'key-1' });
    expect(b).toBe(a);
    now = 299_999;
    await secret.get();
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: 'ix-sequences/test' });
  });

  it('re-reads after the TTL and on forceRefresh', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretJson('key-1') })
      .resolvesOnce({ SecretString: secretJson('key-2') })
      .resolves({ SecretString: secretJson('key-3') });
    let now = 0;
    const secret = cached(() => now);
    expect((await secret.get()).apiKey).toBe('key-1');
    now = 300_000;
    expect((await secret.get()).apiKey).toBe('key-2');
    expect((await secret.get({ forceRefresh: true })).apiKey).toBe('key-3');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('a malformed secret fails naming fields, never values', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ accountName: 'acme', apiKey: '' }) });
    const error = await cached(() => 0)
      .get()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretError);
    expect((error as Error).message).toBe('The service secret is invalid at: apiKey');
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'not json {"apiKey":"hush"}' });
    const notJson = await cached(() => 0)
      .get()
      .catch((e: unknown) => e);
    expect((notJson as Error).message).not.toContain('hush');
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    expect(
      await cached(() => 0)
        .get()
        .catch((e: unknown) => (e as Error).message),
    ).toMatch(/binary/);
  });
});

describe('InvoiceXpress session: 401 → re-read the secret once', () => {
  const unauthorized = () => new InvoiceXpressError({ kind: 'unauthorized', operation: 'list', status: 401, message: 'InvoiceXpress list answered 401' });

  function sessionWith(secret: CachedSecret, keysSeen: string[]) {
    return createInvoiceXpressSession({ secret }).run({ deadline: Deadline.in(5_000) }, (_client: InvoiceXpressClient, current) => {
      keysSeen.push(current.apiKey);
      return current.apiKey === 'rotated' ? Promise.resolve('ok') : Promise.reject(unauthorized());
    });
  }

  it('retries with the rotated key', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretJson('old') })
      .resolves({ SecretString: secretJson('rotated') });
    const keysSeen: string[] = [];
    expect(
      await sessionWith(
        cached(() => 0),
        keysSeen,
      ),
    ).toBe('ok');
    expect(keysSeen).toEqual(['old', 'rotated']);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('fails with the 401 when the key did not change, after exactly one re-read', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretJson('old') });
    const keysSeen: string[] = [];
    await expect(
      sessionWith(
        cached(() => 0),
        keysSeen,
      ),
    ).rejects.toMatchObject({ kind: 'unauthorized' });
    expect(keysSeen).toEqual(['old']);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});

describe('InvoiceXpress session: a result that means 401 (refusedKey)', () => {
  type Outcome = { refused: boolean; key: string };
  const work = (keysSeen: string[]) => (_client: InvoiceXpressClient, current: { apiKey: string }) => {
    keysSeen.push(current.apiKey);
    return Promise.resolve<Outcome>({ refused: current.apiKey !== 'rotated', key: current.apiKey });
  };
  const run = (secret: CachedSecret, keysSeen: string[]) =>
    createInvoiceXpressSession({ secret }).run({ deadline: Deadline.in(5_000) }, work(keysSeen), { refusedKey: (outcome) => outcome.refused });

  it('runs the work again with the rotated key', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretJson('old') })
      .resolves({ SecretString: secretJson('rotated') });
    const keysSeen: string[] = [];
    expect(
      await run(
        cached(() => 0),
        keysSeen,
      ),
    ).toEqual({ refused: false, key: 'rotated' });
    expect(keysSeen).toEqual(['old', 'rotated']);
  });

  it('returns the refused result when the key did not change, after exactly one re-read', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretJson('old') });
    const keysSeen: string[] = [];
    expect(
      await run(
        cached(() => 0),
        keysSeen,
      ),
    ).toEqual({ refused: true, key: 'old' });
    expect(keysSeen).toEqual(['old']);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});
