import { checkedInput, SandboxAccount } from './account.ts';
import { DEFAULT_AT } from './at.ts';
import type { OperationContext } from './operations.ts';
import { SandboxApiKeySchema } from './schemas.ts';
import type {
  RawSequence,
  SandboxAtBehaviour,
  SandboxFault,
  SandboxAccountOptions,
  SandboxFaultRule,
  SandboxOperation,
  SandboxRequestRecord,
  SandboxSeed,
  SandboxState,
  SandboxVariants,
} from './types.ts';

const RATE_WINDOW_MS = 60_000;

/** Every key an account of this process accepts or accepted (a re-key keeps the old one here): what a log scan must never find. */
const keysInUse = new Set<string>();
export function sandboxApiKeys(): readonly string[] {
  return [...keysInUse];
}

function initialSeed(seed: SandboxAccountOptions['seed']): SandboxSeed {
  if (seed === undefined || seed === true) return 'docs';
  if (seed === false) return 'empty';
  return seed;
}

const copyRule = (rule: SandboxFaultRule): SandboxFaultRule => ({
  ...rule,
  fault: { ...rule.fault },
  operations: rule.operations ? [...rule.operations] : undefined,
});

/**
 * Everything one account of the sandbox is set to and remembers, with the settings' one
 * implementation: the programmatic Sandbox, its account handles and the HTTP control endpoint all
 * land here.
 */
export class SandboxSettings {
  readonly account = new SandboxAccount();
  readonly requests: SandboxRequestRecord[] = [];
  readonly accountName: string;
  at: SandboxAtBehaviour;
  variants: SandboxVariants;
  latencyMs: number;
  #apiKey = '';
  #faults: SandboxFaultRule[] = [];
  #rateLimitPerMinute: number | undefined;
  #accepted: number[] = [];
  readonly #options: SandboxAccountOptions;

  /** Throws SandboxInputError on a bad key or seed. */
  constructor(options: SandboxAccountOptions, accountName: string) {
    this.#options = options;
    this.accountName = accountName;
    this.at = { ...DEFAULT_AT, ...options.at };
    this.variants = { ...options.variants };
    this.latencyMs = options.latencyMs ?? 0;
    this.#rateLimitPerMinute = options.rateLimitPerMinute;
    this.account.seed(initialSeed(options.seed), { restartIds: true });
    // Last: a key is on record as in use only once its account exists.
    this.rekey(options.apiKey);
  }

  /** The key this account accepts now. */
  get apiKey(): string {
    return this.#apiKey;
  }

  rekey(apiKey: string): void {
    this.#apiKey = checkedInput(SandboxApiKeySchema, apiKey, 'apiKey');
    keysInUse.add(this.#apiKey);
  }

  sequences(now = Date.now()): RawSequence[] {
    this.account.settle(now);
    return this.account.all().map((sequence) => ({ ...sequence }));
  }

  state(): SandboxState {
    return {
      accountName: this.accountName,
      sequences: this.sequences(),
      at: { ...this.at },
      variants: { ...this.variants },
      faults: this.#faults.map(copyRule),
      rateLimitPerMinute: this.#rateLimitPerMinute ?? null,
      latencyMs: this.latencyMs,
    };
  }

  /** What an operation arriving `now` sees. */
  context(now: number): OperationContext {
    this.account.settle(now);
    return { account: this.account, at: this.at, variants: this.variants, now };
  }

  seedAccount(seed: SandboxSeed): void {
    this.account.seed(seed);
  }

  addFault(rule: SandboxFaultRule): void {
    this.#faults.push(copyRule(rule));
  }

  clearFaults(): void {
    this.#faults = [];
  }

  setAt(behaviour: Partial<SandboxAtBehaviour>): void {
    this.at = { ...this.at, ...behaviour };
  }

  setVariants(variants: SandboxVariants): void {
    this.variants = { ...variants };
  }

  setRateLimit(perMinute: number | undefined): void {
    this.#rateLimitPerMinute = perMinute;
    this.#accepted = [];
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  reset(): void {
    this.#apiKey = this.#options.apiKey;
    this.account.seed(initialSeed(this.#options.seed), { restartIds: true });
    this.#faults = [];
    this.at = { ...DEFAULT_AT, ...this.#options.at };
    this.variants = { ...this.#options.variants };
    this.setRateLimit(this.#options.rateLimitPerMinute);
    this.latencyMs = this.#options.latencyMs ?? 0;
    this.clearRequests();
  }

  /** The first fault rule for this operation, used up once. */
  takeFault(operation: SandboxOperation): SandboxFault | undefined {
    const index = this.#faults.findIndex((rule) => !rule.operations || rule.operations.includes(operation));
    const rule = this.#faults[index];
    if (!rule) return undefined;
    if (rule.times !== undefined) {
      rule.times -= 1;
      if (rule.times <= 0) this.#faults.splice(index, 1);
    }
    return rule.fault;
  }

  /** Counts a request against the per-minute limit; true when it is over. */
  rateLimited(now: number): boolean {
    if (this.#rateLimitPerMinute === undefined) return false;
    this.#accepted = this.#accepted.filter((time) => now - time < RATE_WINDOW_MS);
    if (this.#accepted.length >= this.#rateLimitPerMinute) return true;
    this.#accepted.push(now);
    return false;
  }
}
