import { Webhook } from 'standardwebhooks';
import type { WebhookEndpoint } from './model.ts';

/**
 * Standard Webhooks v1 through its reference implementation: `webhook-signature` is
 * `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`. Every attempt signs afresh with the
 * attempt's own time. Until `previousSecretUntil`, a second signature made with the previous secret
 * follows, space-separated, so a receiver still on the old secret verifies too.
 */

const WEBHOOK_ID_HEADER = 'webhook-id';
const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

export type SigningKeys = Pick<WebhookEndpoint, 'secret' | 'previousSecret' | 'previousSecretUntil'>;

/** The secrets that sign at `at`: the current one, and the previous one while it is still valid. */
function signingSecrets(keys: SigningKeys, at: Date): string[] {
  const previousValid = keys.previousSecret !== undefined && keys.previousSecretUntil !== undefined && at.getTime() < Date.parse(keys.previousSecretUntil);
  return previousValid && keys.previousSecret !== undefined ? [keys.secret, keys.previousSecret] : [keys.secret];
}

/** The three Standard Webhooks headers for one attempt. */
export function signatureHeaders(keys: SigningKeys, webhookId: string, body: string, at: Date): Record<string, string> {
  const signatures = signingSecrets(keys, at).map((secret) => new Webhook(secret).sign(webhookId, at, body));
  return {
    [WEBHOOK_ID_HEADER]: webhookId,
    [WEBHOOK_TIMESTAMP_HEADER]: String(Math.floor(at.getTime() / 1000)),
    [WEBHOOK_SIGNATURE_HEADER]: signatures.join(' '),
  };
}

/** Every form of the endpoint's secrets that could show up in an answer: whole, and the bare key. */
export function secretForms(keys: SigningKeys): string[] {
  const secrets = [keys.secret, ...(keys.previousSecret === undefined ? [] : [keys.previousSecret])];
  return secrets.flatMap((secret) => [secret, secret.replace(/^whsec_/, '')]);
}
