import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Second baseline: fetch plus the Secrets Manager client every function imports at init. */
const secrets = new SecretsManagerClient({});

export const handler = async (): Promise<{ statusCode: number; body: string }> => {
  const response = await fetch('http://127.0.0.1:9/');
  return { statusCode: response.status, body: String(Boolean(secrets)) };
};
