import type { InvoiceXpressSession } from '../runtime/invoicexpress-session.ts';
import type { AccountRecord } from './model.ts';
import type { AccountRegistry } from './registry.ts';

/**
 * Which InvoiceXpress account a request works on: the stage's default account (its own secret,
 * the routes without /accounts/{account}) or a registered one (the registry's record, and a
 * session on its own secret). Per container: a session per account, keyed by the account (a
 * warm container never hands one account's key to another's request), and each record re-read
 * after RECORD_TTL_MS so a deleted account stops being served within that time everywhere.
 */
interface AccountTarget {
  /** Undefined for the default account (its name is the secret's). */
  account: string | undefined;
  session: InvoiceXpressSession;
  /** The registry's record (registered accounts only). */
  record: AccountRecord | undefined;
}

export class AccountNotFoundError extends Error {
  override readonly name = 'AccountNotFoundError';
  readonly account: string;
  constructor(account: string, why: 'unknown' | 'disabled' | 'no_registry') {
    const reason = {
      unknown: 'is not registered',
      disabled: 'is disabled or deleted',
      no_registry: 'cannot be reached: this deployment has no account registry',
    }[why];
    super(`Account '${account}' ${reason}`);
    this.account = account;
  }
}

export interface AccountSessions {
  /** The default account's session (undefined), or a registered account's with its record; AccountNotFoundError when it is unknown or disabled. */
  resolve(account: string): Promise<AccountTarget & { account: string; record: AccountRecord }>;
  resolve(account: string | undefined): Promise<AccountTarget>;
}

const RECORD_TTL_MS = 60_000;
/** Sessions kept per container; the least recently used goes first. */
const MAX_SESSIONS = 1_000;

export function createAccountSessions(options: {
  defaultSession: InvoiceXpressSession;
  registry: AccountRegistry | undefined;
  /** A session on the account's own secret (read lazily, cached with its TTL). */
  sessionOf: (account: string) => InvoiceXpressSession;
  now?: () => number;
}): AccountSessions {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { session: InvoiceXpressSession; record: AccountRecord; readAt: number }>();

  async function recordOf(account: string): Promise<AccountRecord> {
    if (options.registry === undefined) throw new AccountNotFoundError(account, 'no_registry');
    const record = await options.registry.get(account);
    if (record === undefined) throw new AccountNotFoundError(account, 'unknown');
    if (!record.enabled) throw new AccountNotFoundError(account, 'disabled');
    return record;
  }

  async function registered(account: string): Promise<AccountTarget & { account: string; record: AccountRecord }> {
    const cached = cache.get(account);
    if (cached !== undefined && now() - cached.readAt < RECORD_TTL_MS) {
      // Most recently used last: Map keeps insertion order.
      cache.delete(account);
      cache.set(account, cached);
      return { account, session: cached.session, record: cached.record };
    }
    const record = await recordOf(account).catch((error: unknown) => {
      cache.delete(account);
      throw error;
    });
    const session = cached?.session ?? options.sessionOf(account);
    cache.delete(account);
    cache.set(account, { session, record, readAt: now() });
    if (cache.size > MAX_SESSIONS) cache.delete(cache.keys().next().value as string);
    return { account, session, record };
  }

  const defaultTarget: AccountTarget = { account: undefined, session: options.defaultSession, record: undefined };
  return {
    resolve: ((account: string | undefined) => (account === undefined ? Promise.resolve(defaultTarget) : registered(account))) as AccountSessions['resolve'],
  };
}
