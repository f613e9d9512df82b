import type { InvoiceXpressOperation } from '../shared/invoicexpress/errors.ts';
import type * as z from '../shared/zod.ts';
import type {
  SandboxAtBehaviourSchema,
  SandboxErrorShapeSchema,
  SandboxFaultRuleSchema,
  SandboxFaultSchema,
  SandboxSeedSchema,
  SandboxSeedSequenceSchema,
  SandboxVariantsSchema,
} from './schemas.ts';

/**
 * The InvoiceXpress sandbox's public surface, shared by tests, the local gateway, the CLI and the
 * benchmarks. The sandbox is a real HTTP server on loopback speaking InvoiceXpress's paths; its
 * control endpoint (`/_sandbox/...`, see sandbox/control.ts and docs/sandbox.md) drives the same
 * methods over HTTP.
 */
export type SandboxOperation = InvoiceXpressOperation;

/** InvoiceXpress's wire shape of a sequence (snake_case, current_<type>_* fields). */
export type RawSequence = Record<string, unknown> & { id: number; serie: string; default_sequence: number };

/** The types of the sandbox's settings, inferred from the schemas the control endpoint parses with. */
export type SandboxFault = z.infer<typeof SandboxFaultSchema>;
export type SandboxFaultRule = z.infer<typeof SandboxFaultRuleSchema>;
export type SandboxErrorShape = z.infer<typeof SandboxErrorShapeSchema>;
export type SandboxAtBehaviour = z.infer<typeof SandboxAtBehaviourSchema>;
export type SandboxVariants = z.infer<typeof SandboxVariantsSchema>;
export type SandboxSeedSequence = z.infer<typeof SandboxSeedSequenceSchema>;
export type SandboxSeed = z.infer<typeof SandboxSeedSchema>;

/** What an account starts with, and what its `reset` returns to. */
interface SandboxAccountSettings {
  /** What the account starts with (and `reset` returns to): true = 'docs' (default), false = 'empty'. */
  seed?: boolean | SandboxSeed;
  at?: Partial<SandboxAtBehaviour>;
  variants?: SandboxVariants;
  /** Requests per minute allowed before 429 (default: unlimited). InvoiceXpress limits each account on its own. */
  rateLimitPerMinute?: number;
  /** Latency added to every answer, ms (default 0). */
  latencyMs?: number;
}

/** An added account: its key (a public test value: non-empty, no spaces) and what it starts with. */
export interface SandboxAccountOptions extends SandboxAccountSettings {
  apiKey: string;
}

export interface SandboxOptions extends SandboxAccountSettings {
  /** The default account's key. Default 'sandbox-api-key'. */
  apiKey?: string;
  /** The default account's name. Default 'sandbox'. */
  accountName?: string;
  /** Default 0 (any free port). Binds 127.0.0.1 only. */
  port?: number;
  /** Accounts to add at start, by name (as `addAccount`). */
  accounts?: Record<string, SandboxAccountOptions>;
}

export interface SandboxRequestRecord {
  operation: SandboxOperation | 'unknown';
  method: string;
  /** Path without the query string (with its `/accounts/{name}` prefix when it had one). */
  path: string;
  status: number | 'hang' | 'dropped';
  at: number;
}

/** Everything an account is set to, and its sequences (wire shape, id order). */
export interface SandboxState {
  accountName: string;
  sequences: RawSequence[];
  at: SandboxAtBehaviour;
  variants: SandboxVariants;
  faults: SandboxFaultRule[];
  rateLimitPerMinute: number | null;
  latencyMs: number;
}

/** One account's settings and state: what its control routes drive (the same for every account). */
export interface SandboxControls {
  /** Every InvoiceXpress request the account received, in order (control requests are not logged). */
  readonly requests: readonly SandboxRequestRecord[];
  /** Current state, wire shape, in id order. */
  sequences(): RawSequence[];
  /** The whole state: sequences, AT behaviour, variants, faults, rate limit, latency. */
  state(): SandboxState;
  /** Replaces the account's sequences (faults, AT behaviour and the request log stay). Throws SandboxInputError on duplicates. */
  seedAccount(seed: SandboxSeed): void;
  addFault(rule: SandboxFaultRule): void;
  clearFaults(): void;
  /** Changes the given fields only. */
  setAt(behaviour: Partial<SandboxAtBehaviour>): void;
  /** Replaces the variants (fields not given return to the docs' shapes). */
  setVariants(variants: SandboxVariants): void;
  setRateLimit(perMinute: number | undefined): void;
  setLatency(ms: number): void;
  /** Empties the request log. */
  clearRequests(): void;
  /** Back to how the account started (its first seed, settings and key), no faults, request log emptied. */
  reset(): void;
}

/** One account of the sandbox, reached at `baseUrl` with `apiKey`. */
export interface SandboxAccountHandle extends SandboxControls {
  readonly accountName: string;
  /** The key the account accepts now (`rekey` changes it). */
  readonly apiKey: string;
  /** The account's InvoiceXpress base URL, `${url}/accounts/${accountName}`. */
  readonly baseUrl: string;
  /** From now on only `apiKey` is accepted (the old key answers 401). Throws SandboxInputError on a bad key. */
  rekey(apiKey: string): void;
}

/**
 * The sandbox: its default account's controls (the account at `url` itself, and at
 * `${url}/accounts/${accountName}`), and the accounts added to it.
 */
export interface Sandbox extends SandboxControls {
  /** Base URL for the client, e.g. http://127.0.0.1:43123 (no trailing slash): the default account. */
  readonly url: string;
  /** The control endpoint's base, `${url}/_sandbox`. */
  readonly controlUrl: string;
  /** `${url}/accounts/{account}`: an account's base URL once `{account}` is replaced by its name. */
  readonly accountUrlTemplate: string;
  /** The default account's key. */
  readonly apiKey: string;
  /** The default account's name. */
  readonly accountName: string;
  /**
   * A new account (seeded with the docs' example unless `seed` says otherwise; the key defaults to
   * `sandbox-key-${name}`). Throws SandboxInputError when the name is not a lowercase host label, the
   * key is bad or the account exists.
   */
  addAccount(name: string, options?: SandboxAccountOptions): SandboxAccountHandle;
  /** The account, or undefined; the default account's name gives the default account. */
  account(name: string): SandboxAccountHandle | undefined;
  /** False when there is no such account. Throws SandboxInputError for the default account. */
  removeAccount(name: string): boolean;
  /** Every account's name, the default account first. */
  accountNames(): string[];
  close(): Promise<void>;
}
