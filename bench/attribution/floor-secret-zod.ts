import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sequenceRoutes } from '../../shared/http/sequence-routes.ts';
import { parseJsonBody, parseSequenceBody } from '../../shared/invoicexpress/wire.ts';
import { BaseEnvSchema, parseEnv } from '../../shared/runtime/env.ts';
import { parseServiceSecret } from '../../shared/runtime/secret.ts';

/**
 * bench/floor-secret.ts with get-sequence's zod schemas added (the environment, the secret, the
 * path parameters, the InvoiceXpress answer), nothing else of ours: what zod costs on the cold
 * path. zod cannot be removed from a function that parses with it, so it is measured by adding.
 */
const env = parseEnv(BaseEnvSchema);
const { params: ParamsSchema } = sequenceRoutes.getSequence;
if (ParamsSchema === undefined) throw new Error('get-sequence has path parameters');
const secrets = new SecretsManagerClient({});

export const handler = async (event: { pathParameters?: unknown }): Promise<{ statusCode: number; body: string }> => {
  const params = ParamsSchema.parse(event.pathParameters ?? {});
  const answer = await secrets.send(new GetSecretValueCommand({ SecretId: env.IX_SECRET_ID }));
  const { accountName, apiKey } = parseServiceSecret(answer.SecretString ?? '');
  const path = `/sequences/${String(params.id)}.json`;
  const baseUrl = (env.IX_BASE_URL ?? '').replaceAll('{account}', accountName);
  const response = await fetch(`${baseUrl}${path}?api_key=${apiKey}`, { headers: { accept: 'application/json' } });
  const text = await response.text();
  const context = { operation: 'get' as const, path, status: response.status };
  return { statusCode: response.status, body: JSON.stringify({ sequence: parseSequenceBody(parseJsonBody(text, context), context) }) };
};
