import { createInvoiceXpressClient } from '../invoicexpress/client.ts';
import { isInvoiceXpressError } from '../invoicexpress/errors.ts';
import type { InvoiceXpressClient, InvoiceXpressClientOptions } from '../invoicexpress/types.ts';
import type { CachedSecret, ServiceSecret } from './secret.ts';

export interface InvoiceXpressSessionOptions {
  secret: CachedSecret;
  baseUrl?: string | undefined;
  timeoutMs?: number | undefined;
  /** Extra client options (retry policy, attempt observer). */
  client?: Omit<InvoiceXpressClientOptions, 'accountName' | 'apiKey' | 'baseUrl' | 'timeoutMs'>;
}

export type InvoiceXpressWork<T> = (client: InvoiceXpressClient, secret: ServiceSecret) => Promise<T>;

/**
 * Gives work a client built from the cached secret. One client per container and key. When
 * InvoiceXpress answers 401, the secret is re-read once: if the key changed (rotation) the work
 * runs once more with the new key; otherwise the 401 stands (an operator problem).
 */
export function createInvoiceXpressSession(options: InvoiceXpressSessionOptions) {
  let current: { apiKey: string; accountName: string; client: InvoiceXpressClient } | undefined;

  function clientFor(secret: ServiceSecret): InvoiceXpressClient {
    if (current?.apiKey !== secret.apiKey || current.accountName !== secret.accountName) {
      const client = createInvoiceXpressClient({
        ...options.client,
        accountName: secret.accountName,
        apiKey: secret.apiKey,
        baseUrl: options.baseUrl,
        timeoutMs: options.timeoutMs,
      });
      current = { apiKey: secret.apiKey, accountName: secret.accountName, client };
    }
    return current.client;
  }

  return {
    async run<T>(work: InvoiceXpressWork<T>): Promise<T> {
      const secret = await options.secret.get();
      try {
        return await work(clientFor(secret), secret);
      } catch (error) {
        if (!isInvoiceXpressError(error) || error.kind !== 'unauthorized') throw error;
        const refreshed = await options.secret.get({ forceRefresh: true });
        if (refreshed.apiKey === secret.apiKey && refreshed.accountName === secret.accountName) throw error;
        return work(clientFor(refreshed), refreshed);
      }
    },
  };
}

export type InvoiceXpressSession = ReturnType<typeof createInvoiceXpressSession>;
