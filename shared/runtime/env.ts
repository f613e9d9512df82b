import { z } from 'zod';

/** Variables every function reads. Parsed once at cold start: a bad value fails loudly by name. */
export const BaseEnvSchema = z.object({
  IX_SECRET_ID: z.string().min(1),
  STAGE: z.string().min(1).default('local'),
  SECRET_TTL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  IX_TIMEOUT_MS: z.coerce.number().int().min(100).max(28_000).default(8_000),
  /** Only for local runs and tests (the sandbox); unset in AWS. */
  IX_BASE_URL: z.url().optional(),
});
export type BaseEnv = z.infer<typeof BaseEnvSchema>;

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/**
 * Parses environment variables with a zod object schema. The error names each variable and what
 * is wrong with it, never its value (a value may be a secret).
 */
export function parseEnv<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined> = process.env,
): z.output<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new ConfigurationError(`Invalid environment variables: ${problems.join('; ')}`);
}
