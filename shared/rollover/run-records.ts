import { parseEnv } from '../runtime/env.ts';
import { RunTableEnvSchema } from './settings.ts';
import { RolloverRunRecordViewSchema } from './result.ts';
import type { RolloverRunRecordView } from './result.ts';
import { createRunTable } from './run-table.ts';

/**
 * GET /rollover/runs/{runId}: run records by id. Needs the run table and the account's name
 * (configuration), not InvoiceXpress: this function never reads the service secret.
 */
export function createRunRecords(env: Record<string, string | undefined> = process.env) {
  const parsed = parseEnv(RunTableEnvSchema, env);
  const store = createRunTable({ tableName: parsed.ROLLOVER_TABLE_NAME });
  return {
    /** One run's record of the default account or of `account`, as the read routes show it (without its caller), or undefined. */
    async get(runId: string, account?: string): Promise<RolloverRunRecordView | undefined> {
      const record = await store.getRun(account ?? parsed.IX_ACCOUNT_NAME, runId);
      return record === undefined ? undefined : RolloverRunRecordViewSchema.parse(record);
    },
  };
}
