import { checkedInput, SandboxInputError } from './account.ts';
import { SandboxAccountNameSchema } from './schemas.ts';
import { SandboxSettings } from './settings.ts';
import type { Sandbox, SandboxAccountHandle, SandboxAccountOptions, SandboxControls } from './types.ts';

/**
 * The sandbox's accounts by name, as InvoiceXpress has them (one host, one key and one state per
 * account): the default account, which the sandbox's own paths also reach, and the added ones.
 * A Map, so that finding a request's account costs the same with one account or thousands.
 */
export class SandboxAccounts {
  readonly defaultAccount: SandboxSettings;
  readonly #byName = new Map<string, SandboxSettings>();

  constructor(defaultAccount: SandboxSettings) {
    this.defaultAccount = defaultAccount;
    this.#byName.set(defaultAccount.accountName, defaultAccount);
  }

  get(name: string): SandboxSettings | undefined {
    return this.#byName.get(name);
  }

  /** Throws SandboxInputError on a bad name, key or seed, and when the account exists. */
  add(name: string, options: SandboxAccountOptions): SandboxSettings {
    checkedInput(SandboxAccountNameSchema, name, `account name "${name}"`);
    if (this.#byName.has(name)) throw new SandboxInputError(`account "${name}" already exists`);
    const settings = new SandboxSettings(options, name);
    this.#byName.set(name, settings);
    return settings;
  }

  /** False when there is no such account; the default account cannot be removed. */
  remove(name: string): boolean {
    if (name === this.defaultAccount.accountName) throw new SandboxInputError(`the default account "${name}" cannot be removed`);
    return this.#byName.delete(name);
  }

  /** The default account first, then the others in the order they were added. */
  names(): string[] {
    return [...this.#byName.keys()];
  }
}

/** One account's controls as closures over its settings, so they can be passed around unbound. */
export function accountControls(settings: SandboxSettings): SandboxControls {
  return {
    requests: settings.requests,
    sequences: () => settings.sequences(),
    state: () => settings.state(),
    seedAccount: (seed) => settings.seedAccount(seed),
    addFault: (rule) => settings.addFault(rule),
    clearFaults: () => settings.clearFaults(),
    setAt: (behaviour) => settings.setAt(behaviour),
    setVariants: (variants) => settings.setVariants(variants),
    setRateLimit: (perMinute) => settings.setRateLimit(perMinute),
    setLatency: (ms) => settings.setLatency(ms),
    clearRequests: () => settings.clearRequests(),
    reset: () => settings.reset(),
  };
}

/** The InvoiceXpress path prefix of an account (`{account}` in `accountUrlTemplate`). */
const accountPath = (name: string): string => `/accounts/${name}`;

function accountHandle(settings: SandboxSettings, url: string): SandboxAccountHandle {
  return {
    ...accountControls(settings),
    accountName: settings.accountName,
    get apiKey() {
      return settings.apiKey;
    },
    baseUrl: `${url}${accountPath(settings.accountName)}`,
    rekey: (apiKey) => settings.rekey(apiKey),
  };
}

type SandboxAccountsApi = Pick<Sandbox, 'accountUrlTemplate' | 'addAccount' | 'account' | 'removeAccount' | 'accountNames'>;

/** The Sandbox's account methods, for a sandbox listening at `url`. */
export function accountsApi(accounts: SandboxAccounts, url: string): SandboxAccountsApi {
  // One handle per account for as long as it exists (a removed and re-added name is a new account).
  const handles = new WeakMap<SandboxSettings, SandboxAccountHandle>();
  const handleOf = (settings: SandboxSettings): SandboxAccountHandle => {
    const handle = handles.get(settings) ?? accountHandle(settings, url);
    handles.set(settings, handle);
    return handle;
  };
  return {
    accountUrlTemplate: `${url}${accountPath('{account}')}`,
    addAccount: (name, options) => handleOf(accounts.add(name, options ?? { apiKey: `sandbox-key-${name}` })),
    account: (name) => {
      const settings = accounts.get(name);
      return settings && handleOf(settings);
    },
    removeAccount: (name) => accounts.remove(name),
    accountNames: () => accounts.names(),
  };
}
