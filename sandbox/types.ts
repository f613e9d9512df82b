/**
 * The InvoiceXpress sandbox's public surface, shared by tests, the local gateway, the CLI and the
 * benchmarks. The sandbox is a real HTTP server on loopback speaking InvoiceXpress's paths.
 */
export type SandboxOperation = 'list' | 'get' | 'create' | 'register' | 'set_current';

/** InvoiceXpress's wire shape of a sequence (snake_case, current_<type>_* fields). */
export type RawSequence = Record<string, unknown> & { id: number; serie: string; default_sequence: number };

export type SandboxFault =
  /** Answer normally, after a delay. */
  | { kind: 'latency'; ms: number }
  /** Answer this status instead of acting. retryAfter sets Retry-After (seconds). */
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: string }
  /** Never answer (the socket stays open until the client gives up or the sandbox closes). */
  | { kind: 'hang' }
  /** Perform the operation, then destroy the socket without answering (a lost response). */
  | { kind: 'drop_response' }
  /** Answer 200 with a body that is not the expected shape. */
  | { kind: 'malformed'; body: string };

export interface SandboxFaultRule {
  fault: SandboxFault;
  /** Only requests for these operations (default: all). */
  operations?: SandboxOperation[];
  /** How many matching requests it applies to (default: unlimited until cleared). */
  times?: number;
}

export interface SandboxAtBehaviour {
  /** What create does with AT: 'register' gives codes at once, 'pending' leaves N/D until register. */
  onCreate: 'register' | 'pending';
  /** What register does: 'ok' gives codes; 'reject' answers 422 with `rejectMessage` and leaves N/D. */
  onRegister: 'ok' | 'reject';
  rejectMessage?: string;
}

/** Wire variations seen on the live API (see reference notes); all default to the docs' shapes. */
export interface SandboxVariants {
  /** Key holding a single sequence in get/create answers: docs say 'sequences', live seen 'sequence'. */
  singleKey?: 'sequences' | 'sequence';
  /** Register/set_current body: 'docs' (register: {"sequences":[{...}]}, set_current: empty), 'empty', 'text'. */
  actionBody?: 'docs' | 'empty' | 'text';
  /** Numbers and default_sequence as strings ("1"/"0"). */
  stringly?: boolean;
  /** Page size for list; when set, list answers carry a `pagination` object and honour ?page=&per_page=. */
  pageSize?: number;
}

export interface SandboxOptions {
  /** Default 'sandbox-api-key'. */
  apiKey?: string;
  /** Default 'sandbox'. */
  accountName?: string;
  /** Default 0 (any free port). Binds 127.0.0.1 only. */
  port?: number;
  /** Seed with the docs' example sequence "2022" (default true). */
  seed?: boolean;
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

export interface Sandbox {
  /** Base URL for the client, e.g. http://127.0.0.1:43123 (no trailing slash). */
  readonly url: string;
  readonly apiKey: string;
  readonly accountName: string;
  /** Every request received, in order (for counting calls in tests and benchmarks). */
  readonly requests: readonly SandboxRequestRecord[];
  /** Current state, wire shape, in id order. */
  sequences(): RawSequence[];
  addFault(rule: SandboxFaultRule): void;
  clearFaults(): void;
  setAt(behaviour: Partial<SandboxAtBehaviour>): void;
  setVariants(variants: SandboxVariants): void;
  setRateLimit(perMinute: number | undefined): void;
  setLatency(ms: number): void;
  /** Back to the seeded state, no faults, request log emptied. */
  reset(): void;
  close(): Promise<void>;
}
