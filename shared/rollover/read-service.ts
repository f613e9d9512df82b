import type { Deadline } from '../runtime/deadline.ts';
import { parseEnv } from '../runtime/env.ts';
import { CachedSecret } from '../runtime/secret.ts';
import { secretsManagerSource } from '../runtime/secrets-manager.ts';
import { createServiceRuntime } from '../runtime/service-runtime.ts';
import { RolloverEnvSchema } from './config.ts';
import { readiness } from './readiness.ts';
import { createRunTable } from './run-table.ts';
import type { RolloverReadiness, RolloverRunRecord } from './result.ts';

/**
 * The rollover's read path, for the two read routes: nothing of the run path (service.ts), so the
 * read-only functions bundle neither the rollover engine nor the webhooks. Each route has its own
 * factory so that GET /rollover/runs/{runId}, which never calls InvoiceXpress, does not bundle the
 * InvoiceXpress client either.
 */

/** GET /rollover/{year}: readiness (one list call) and the last runs on record. */
export function createRolloverStatusService(env: Record<string, string | undefined> = process.env) {
  const runtime = createServiceRuntime(RolloverEnvSchema, env);
  const store = createRunTable({ tableName: runtime.env.ROLLOVER_TABLE_NAME });
  const templates = runtime.env.SERIE_TEMPLATES;
  return {
    async readiness(year: number, deadline: Deadline): Promise<RolloverReadiness> {
      return runtime.session.run({ deadline }, async (client, secret) => {
        const [report, runs] = await Promise.all([readiness({ client, year, templates }), store.recentRuns({ account: secret.accountName, year }, 10)]);
        return { ...report, runs };
      });
    },
  };
}

/** GET /rollover/runs/{runId}: one run's record, or undefined. The secret gives the account. */
export function createRunRecordService(env: Record<string, string | undefined> = process.env) {
  // As createServiceRuntime reads the environment and the secret, without the InvoiceXpress session.
  const parsed = parseEnv(RolloverEnvSchema, env);
  const secret = new CachedSecret(secretsManagerSource(parsed.IX_SECRET_ID), { ttlMs: parsed.SECRET_TTL_SECONDS * 1000 });
  const store = createRunTable({ tableName: parsed.ROLLOVER_TABLE_NAME });
  return {
    async runRecord(runId: string, deadline: Deadline): Promise<RolloverRunRecord | undefined> {
      const { accountName } = await secret.get({ deadline });
      return store.getRun(accountName, runId);
    },
  };
}
