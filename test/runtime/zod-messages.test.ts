import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

/**
 * shared/zod.ts carries its own copy of zod's English messages (to keep bundles small). This
 * proves the copy says exactly what zod's `en` locale says, for random input to every schema the
 * project has, so a zod upgrade that changes wording is noticed. It runs in a child process because
 * zod's locale is global configuration.
 */
const script = `
import fc from 'fast-check';
import { en } from 'zod/locales';
import * as z from './shared/zod.ts';
import { SequenceSchema, SerieNameSchema } from './shared/sequence.ts';
import { CreateSequenceBodySchema, sequenceRoutes } from './shared/http/sequence-routes.ts';
import { rolloverRoutes } from './shared/http/rollover-routes.ts';
import { RolloverInputSchema, ScheduledRolloverPayloadSchema } from './shared/rollover/schemas.ts';
import { RolloverEnvSchema } from './shared/rollover/config.ts';
import { ServiceSecretSchema } from './shared/runtime/secret.ts';
import { RawSequenceSchema } from './shared/invoicexpress/wire.ts';
import { StageConfigSchema } from './infra/config.ts';
const schemas = [SequenceSchema, SerieNameSchema, CreateSequenceBodySchema, RolloverInputSchema,
  ScheduledRolloverPayloadSchema, RolloverEnvSchema, ServiceSecretSchema, StageConfigSchema, RawSequenceSchema,
  rolloverRoutes.rolloverStatus.params, sequenceRoutes.getSequence.params];
const field = fc.oneof(fc.anything(), fc.string(), fc.integer(), fc.constantFrom('prepare', '2027', 'Europe/Lisbon', 'N/D'));
const keys = ['serie', 'default', 'phase', 'year', 'dryRun', 'scheduledTime', 'id', 'accountName', 'apiKey', 'webhooks',
  'IX_SECRET_ID', 'IX_TIMEOUT_MS', 'SERIE_TEMPLATES', 'ROLLOVER_TIME_ZONE', 'account', 'region', 'alarmEmail',
  'logRetentionDays', 'apiThrottling', 'default_sequence', 'extra'];
const inputs = fc.sample(fc.oneof(fc.anything(), fc.record(Object.fromEntries(keys.map((k) => [k, field])), { requiredKeys: [] })), { numRuns: 1500, seed: 2027 });
const messages = () => inputs.flatMap((input) => schemas.flatMap((schema) => {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}));
const ours = messages();
z.config(en());
const theirs = messages();
console.log(JSON.stringify({ count: ours.length, different: ours.filter((m, i) => m !== theirs[i]).slice(0, 5) }));
`;

it("says what zod's English locale says", () => {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: new URL('../..', import.meta.url).pathname,
    encoding: 'utf8',
  });
  expect(child.status, child.stderr).toBe(0);
  const report = JSON.parse(child.stdout) as { count: number; different: string[] };
  expect(report.count).toBeGreaterThan(5000);
  expect(report.different).toEqual([]);
});
