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

export interface SandboxOptions {
  /** Default 'sandbox-api-key'. */
  apiKey?: string;
  /** Default 'sandbox'. */
  accountName?: string;
  /** Default 0 (any free port). Binds 127.0.0.1 only. */
  port?: number;
  /** What the account starts with (and `reset` returns to): true = 'docs' (default), false = 'empty'. */
  seed?: boolean | SandboxSeed;
  at?: Partial<SandboxAtBehaviour>;
  variants?: SandboxVariants;
  /** Requests per minute allowed before 429 (default: unlimited). */
  rateLimitPerMinute?: number;
  /** Latency added to every answer, ms (default 0). */
  latencyMs?: number;
}

export interface SandboxRequestRecord {
  operation: SandboxOperation | 'unknown';
  method: string;
  /** Path without the query string. */
  path: string;
  status: number | 'hang' | 'dropped';
  at: number;
}

/** Everything the sandbox is set to, and the account's sequences (wire shape, id order). */
export interface SandboxState {
  accountName: string;
  sequences: RawSequence[];
  at: SandboxAtBehaviour;
  variants: SandboxVariants;
  faults: SandboxFaultRule[];
  rateLimitPerMinute: number | null;
  latencyMs: number;
}

export interface Sandbox {
  /** Base URL for the client, e.g. http://127.0.0.1:43123 (no trailing slash). */
  readonly url: string;
  /** The control endpoint's base, `${url}/_sandbox`. */
  readonly controlUrl: string;
  readonly apiKey: string;
  readonly accountName: string;
  /** Every InvoiceXpress request received, in order (control requests are not logged). */
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
  /** Back to the seeded state, no faults, request log emptied. */
  reset(): void;
  close(): Promise<void>;
}

/** The sandbox's settings and state, without its address: what the control endpoint drives. */
export type SandboxControls = Omit<Sandbox, 'url' | 'controlUrl' | 'apiKey' | 'accountName' | 'close'>;
