import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { localFunctionEnvironment, startLocalSecretsManager } from '../../local/secrets-manager-endpoint.ts';
import type { LocalSecretsManager } from '../../local/secrets-manager-endpoint.ts';
import { BaseEnvSchema } from '../../shared/runtime/env.ts';
import { createServiceRuntime } from '../../shared/runtime/service-runtime.ts';

/**
 * The runtime starts reading the secret at cold start (createServiceRuntime), through the real SDK
 * against the loopback Secrets Manager: the first request reuses that read, and a failed one
 * neither crashes the container nor leaks an unhandled rejection; the first request reads again.
 */

let secrets: LocalSecretsManager;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeAll(async () => {
  secrets = await startLocalSecretsManager({ secretString: JSON.stringify({ accountName: 'acme', apiKey: 'k-early-read-5b8e' }) });
  Object.assign(
    process.env,
    localFunctionEnvironment({ secretsManagerUrl: secrets.url, invoiceXpressUrl: 'http://127.0.0.1:9', stage: 'test' }),
  );
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await secrets?.close();
});
beforeEach(() => {
  secrets.failWith(undefined);
  unhandled.length = 0;
});

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5_000) throw new Error('timed out waiting');
    await sleep(5);
  }
}

it('reads the secret during init; the first request uses that read', async () => {
  const before = secrets.calls;
  const runtime = createServiceRuntime(BaseEnvSchema);
  // No request yet: the read is already on its way.
  await until(() => secrets.calls === before + 1);
  expect((await runtime.secret.get()).apiKey).toBe('k-early-read-5b8e');
  expect(secrets.calls).toBe(before + 1);
});

it('a failed early read is swallowed (no crash, no unhandled rejection); the first request reads again', async () => {
  secrets.failWith('ResourceNotFoundException');
  const before = secrets.calls;
  const runtime = createServiceRuntime(BaseEnvSchema);
  await until(() => secrets.calls === before + 1);
  // Let the rejection settle and any unhandled-rejection event fire.
  await sleep(50);
  expect(unhandled).toEqual([]);

  secrets.failWith(undefined);
  expect((await runtime.secret.get()).apiKey).toBe('k-early-read-5b8e');
  expect(secrets.calls).toBe(before + 2);
});
