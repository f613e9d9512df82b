import type { Deadline } from '../runtime/deadline.ts';
import { createServiceRuntime } from '../runtime/service-runtime.ts';
import { checkedAccount } from './account.ts';
import { familiesOf, RolloverEnvSchema } from './settings.ts';
import { readiness } from './readiness.ts';
import { RolloverRunSummaryViewSchema } from './result.ts';
import type { RolloverReadiness } from './result.ts';
import { createRunTable } from './run-table.ts';

/**
 * GET /rollover/{year}, the rollover's read path: nothing of the run path (service.ts), so the
 * function bundles neither the rollover engine nor the webhooks. GET /rollover/runs/{runId} reads
 * no secret and has its own module (run-records.ts).
 */
export function createRolloverStatusService(env: Record<string, string | undefined> = process.env) {
  const runtime = createServiceRuntime(RolloverEnvSchema, env);
  const store = createRunTable({ tableName: runtime.env.ROLLOVER_TABLE_NAME });
  const families = familiesOf(runtime.env);
  const account = runtime.env.IX_ACCOUNT_NAME;
  return {
    /** Readiness (one list call) and the last runs on record, shown without their callers. */
    async readiness(year: number, deadline: Deadline): Promise<RolloverReadiness> {
      return runtime.session.run({ deadline }, async (client, secret) => {
        const [report, runs] = await Promise.all([
          readiness({ client, year, families }),
          store.recentRuns({ account: checkedAccount(secret, account), year }, 10),
        ]);
        return { ...report, runs: runs.map((run) => RolloverRunSummaryViewSchema.parse(run)) };
      });
    },
  };
}
