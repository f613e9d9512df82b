import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretError, type SecretSource } from './secret.ts';

/**
 * Reads the secret from AWS Secrets Manager. The SDK client is created once per container, at
 * init (cold start), not in the first request. AWS_ENDPOINT_URL_SECRETS_MANAGER (honoured by the SDK) points it at a loopback
 * endpoint for local runs and tests.
 */
export function secretsManagerSource(secretId: string, client?: SecretsManagerClient): SecretSource {
  const sdk = client ?? new SecretsManagerClient({});
  return {
    async readSecretString() {
      const answer = await sdk.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (typeof answer.SecretString !== 'string') {
        throw new SecretError('The service secret has no SecretString (binary secrets are not supported)');
      }
      return answer.SecretString;
    },
  };
}
