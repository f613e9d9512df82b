import { secretsManagerSource } from '../runtime/secrets-manager.ts';
import type { SecretSource } from '../runtime/secret.ts';
import { WebhookEndpointsSchema } from './model.ts';
import type { WebhookEndpoint } from './model.ts';

/**
 * The stage's webhook endpoints: deployed, a Secrets Manager secret of their own (a JSON array,
 * WEBHOOKS_SECRET_ID); locally IX_WEBHOOKS (only with LOCAL_RUN). Read once per container and kept
 * for `ttlMs`, so a rotation reaches deliveries within that time.
 */

class EndpointConfigurationError extends Error {
  override readonly name = 'EndpointConfigurationError';
}

/** Parses the endpoints' JSON. Errors name the fields at fault, never their values (secrets). */
export function parseEndpoints(raw: string): WebhookEndpoint[] {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new EndpointConfigurationError('The webhook endpoints are not valid JSON');
  }
  const result = WebhookEndpointsSchema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new EndpointConfigurationError(`The webhook endpoints are invalid at: ${[...new Set(problems)].join('; ')}`);
}

export interface EndpointDirectory {
  all(): Promise<WebhookEndpoint[]>;
  byId(id: string): Promise<WebhookEndpoint | undefined>;
}

function cachedEndpoints(source: SecretSource, options: { ttlMs: number; now?: () => number }): EndpointDirectory {
  const now = options.now ?? Date.now;
  let cached: { endpoints: WebhookEndpoint[]; readAt: number } | undefined;
  let inFlight: Promise<WebhookEndpoint[]> | undefined;
  const all = async (): Promise<WebhookEndpoint[]> => {
    if (cached && now() - cached.readAt < options.ttlMs) return cached.endpoints;
    inFlight ??= source
      .readSecretString()
      .then((raw) => {
        cached = { endpoints: parseEndpoints(raw), readAt: now() };
        return cached.endpoints;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  return { all, byId: async (id) => (await all()).find((endpoint) => endpoint.id === id) };
}

/** Where the endpoints come from, by the environment: IX_WEBHOOKS locally, else the secret. */
export function endpointsFromEnvironment(env: {
  LOCAL_RUN: string;
  IX_WEBHOOKS?: string | undefined;
  WEBHOOKS_SECRET_ID?: string | undefined;
  SECRET_TTL_SECONDS: number;
}): EndpointDirectory {
  const ttlMs = env.SECRET_TTL_SECONDS * 1000;
  if (env.LOCAL_RUN === 'true' && env.IX_WEBHOOKS !== undefined) {
    const raw = env.IX_WEBHOOKS;
    return cachedEndpoints({ readSecretString: () => Promise.resolve(raw) }, { ttlMs: Number.POSITIVE_INFINITY });
  }
  if (env.WEBHOOKS_SECRET_ID === undefined) throw new EndpointConfigurationError('WEBHOOKS_SECRET_ID is required (IX_WEBHOOKS only in local runs)');
  return cachedEndpoints(secretsManagerSource(env.WEBHOOKS_SECRET_ID), { ttlMs });
}
