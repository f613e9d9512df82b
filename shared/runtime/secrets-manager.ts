import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretError, type SecretSource } from './secret.ts';

/**
 * Reads the secret from AWS Secrets Manager. The SDK client is created once per container, on
 * first use. AWS_ENDPOINT_URL_SECRETS_MANAGER (honoured by the SDK) points it at a loopback
 * endpoint for local runs and tests.
 */
export function secretsManagerSource(secretId: string, client?: SecretsManagerClient): SecretSource {
  let sdk = client;
  return {
    async readSecretString() {
      sdk ??= new SecretsManagerClient({});
      const answer = await sdk.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (typeof answer.SecretString !== 'string') {
        throw new SecretError('The service secret has no SecretString (binary secrets are not supported)');
      }
      return answer.SecretString;
    },
  };
}
