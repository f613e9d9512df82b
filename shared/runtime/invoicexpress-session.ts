import type { RequestBudget } from '../budget/budget.ts';
import { createInvoiceXpressClient } from '../invoicexpress/client.ts';
import { isInvoiceXpressError } from '../invoicexpress/errors.ts';
import type { CallPolicy, InvoiceXpressClient, InvoiceXpressClientOptions, InvoiceXpressConnection } from '../invoicexpress/types.ts';
import { ConfigurationError } from './env.ts';
import type { CachedSecret, ServiceSecret } from './secret.ts';

export interface InvoiceXpressSessionOptions {
  secret: CachedSecret;
  baseUrl?: string | undefined;
  timeoutMs?: number | undefined;
  /** Extra client options (retry policy, attempt observer). */
  client?: Omit<InvoiceXpressClientOptions, 'accountName' | 'apiKey' | 'baseUrl' | 'timeoutMs' | 'budget'>;
  /** The request budget of an account (shared/budget); none: unbudgeted (local runs only). */
  budgetFor?: ((account: string) => RequestBudget) | undefined;
  /** The account the secret must name (a registered account's own secret): another name is refused. */
  account?: string | undefined;
}

export type InvoiceXpressWork<T> = (client: InvoiceXpressClient, secret: ServiceSecret) => Promise<T>;

/**
 * Gives work a client built from the cached secret. One client per container and key. When
 * InvoiceXpress answers 401 (thrown, or a result `refusedKey` recognises), the secret is re-read
 * once: if the key changed (rotation) the work runs once more with the new key; otherwise the 401
 * stands (an operator problem).
 */
export function createInvoiceXpressSession(options: InvoiceXpressSessionOptions) {
  let current: { apiKey: string; accountName: string; client: InvoiceXpressConnection } | undefined;

  function clientFor(secret: ServiceSecret, policy: CallPolicy): InvoiceXpressClient {
    if (current?.apiKey !== secret.apiKey || current.accountName !== secret.accountName) {
      const client = createInvoiceXpressClient({
        ...options.client,
        accountName: secret.accountName,
        apiKey: secret.apiKey,
        // Locally one sandbox serves every account: IX_BASE_URL may name it as {account}.
        baseUrl: options.baseUrl?.replaceAll('{account}', secret.accountName),
        timeoutMs: options.timeoutMs,
        budget: options.budgetFor?.(secret.accountName),
      });
      current = { apiKey: secret.apiKey, accountName: secret.accountName, client };
    }
    return current.client.withPolicy(policy);
  }

  function checked(secret: ServiceSecret): ServiceSecret {
    if (options.account !== undefined && secret.accountName !== options.account) {
      throw new ConfigurationError(`The secret of account '${options.account}' names another account`);
    }
    return secret;
  }

  return {
    /**
     * Runs `work` with a client whose every call keeps to `policy` (the invocation's deadline).
     * `refusedKey` tells the session when a result (not a thrown error) means InvoiceXpress
     * answered 401: the rollover returns its failures as results.
     */
    async run<T>(policy: CallPolicy, work: InvoiceXpressWork<T>, rule: { refusedKey?: (result: T) => boolean } = {}): Promise<T> {
      const secret = checked(await options.secret.get({ deadline: policy.deadline }));
      const outcome = await attempt(() => work(clientFor(secret, policy), secret), rule.refusedKey);
      if (!outcome.refused) return outcome.settle();
      const refreshed = checked(await options.secret.get({ forceRefresh: true, deadline: policy.deadline }));
      if (refreshed.apiKey === secret.apiKey && refreshed.accountName === secret.accountName) return outcome.settle();
      return work(clientFor(refreshed, policy), refreshed);
    },
  };
}

/** The work's result or error, and whether it is InvoiceXpress refusing the key. */
async function attempt<T>(work: () => Promise<T>, refusedKey: ((result: T) => boolean) | undefined): Promise<{ refused: boolean; settle: () => T }> {
  try {
    const result = await work();
    return { refused: refusedKey?.(result) ?? false, settle: () => result };
  } catch (error) {
    const refused = isInvoiceXpressError(error) && error.kind === 'unauthorized';
    return {
      refused,
      settle: () => {
        throw error;
      },
    };
  }
}

export type InvoiceXpressSession = ReturnType<typeof createInvoiceXpressSession>;
