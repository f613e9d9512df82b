import { ConfigurationError } from '../runtime/env.ts';
import type { ServiceSecret } from '../runtime/secret.ts';

/**
 * The run table is keyed by the configured account (IX_ACCOUNT_NAME, which the run records'
 * function also uses, without the secret): a secret for another account would call one account
 * and record under another's name, so it is refused.
 */
export function checkedAccount(secret: ServiceSecret, configured: string): string {
  if (secret.accountName !== configured) {
    throw new ConfigurationError("The service secret's accountName differs from IX_ACCOUNT_NAME (the stage's invoiceXpressAccount)");
  }
  return configured;
}
