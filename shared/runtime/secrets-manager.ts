import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Deadline } from './deadline.ts';
import { SecretError, type SecretSource } from './secret.ts';

/** Runs `work` with a signal that aborts at the deadline; the timer is cleared when it settles. */
async function withDeadline<T>(deadline: Deadline | undefined, work: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  if (deadline === undefined) return work(undefined);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deadline.remainingMs());
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads the secret from AWS Secrets Manager. The SDK client is created once per container, at
 * init (cold start), not in the first request. AWS_ENDPOINT_URL_SECRETS_MANAGER (honoured by the SDK) points it at a loopback
 * endpoint for local runs and tests.
 */
export function secretsManagerSource(secretId: string, client?: SecretsManagerClient): SecretSource {
  const sdk = client ?? new SecretsManagerClient({});
  return {
    async readSecretString(options = {}) {
      const answer = await withDeadline(options.deadline, (abortSignal) => sdk.send(new GetSecretValueCommand({ SecretId: secretId }), { abortSignal }));
      if (typeof answer.SecretString !== 'string') {
        throw new SecretError('The service secret has no SecretString (binary secrets are not supported)');
      }
      return answer.SecretString;
    },
  };
}
