import * as z from '../zod.ts';
import type { Deadline } from './deadline.ts';
import { issueFields } from '../zod-issues.ts';

/**
 * The one Secrets Manager secret per environment (contract section 4). Webhook endpoints are not
 * here any more (the webhooks secret, read only by the delivery function): an older secret that
 * still has a `webhooks` field parses, the field ignored (zod drops unknown keys).
 */
const ServiceSecretSchema = z.object({
  accountName: z.string().check(z.minLength(1)),
  apiKey: z.string().check(z.minLength(1)),
});
export type ServiceSecret = z.infer<typeof ServiceSecretSchema>;

/** Where the secret's raw JSON string comes from: Secrets Manager in AWS, a local source otherwise. */
export interface SecretSource {
  /** The read gives up at the deadline, when one is given. */
  readSecretString(options?: { deadline?: Deadline | undefined }): Promise<string>;
}

export class SecretError extends Error {
  override readonly name = 'SecretError';
}

/** Parses the secret's JSON. Errors name the fields at fault, never their values. */
export function parseServiceSecret(raw: string): ServiceSecret {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new SecretError('The service secret is not valid JSON');
  }
  const result = ServiceSecretSchema.safeParse(json);
  if (!result.success) {
    throw new SecretError(`The service secret is invalid at: ${issueFields(result.error).join(', ')}`);
  }
  return result.data;
}

/**
 * The secret, read once per container and kept for `ttlMs`. `get({ forceRefresh: true })` re-reads
 * it (used once after InvoiceXpress answers 401, in case the key was rotated). Concurrent callers
 * share one in-flight read.
 */
export class CachedSecret {
  readonly #source: SecretSource;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #value: { secret: ServiceSecret; readAt: number } | undefined;
  #inFlight: Promise<ServiceSecret> | undefined;

  constructor(source: SecretSource, options: { ttlMs: number; now?: () => number }) {
    this.#source = source;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
  }

  async get(options: { forceRefresh?: boolean; deadline?: Deadline | undefined } = {}): Promise<ServiceSecret> {
    const cached = this.#value;
    if (!options.forceRefresh && cached && this.#now() - cached.readAt < this.#ttlMs) return cached.secret;
    this.#inFlight ??= this.#read(options.deadline).finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #read(deadline: Deadline | undefined): Promise<ServiceSecret> {
    const secret = parseServiceSecret(await this.#source.readSecretString({ deadline }));
    this.#value = { secret, readAt: this.#now() };
    return secret;
  }
}
