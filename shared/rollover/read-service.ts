import type { Deadline } from '../runtime/deadline.ts';
import { createServiceRuntime } from '../runtime/service-runtime.ts';
import { RolloverEnvSchema } from './settings.ts';
import { rolloverTargets } from './targets.ts';
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
  const targets = rolloverTargets(runtime);
  return {
    /** Readiness (one list call) and the last runs on record, shown without their callers; the default account's or `account`'s. */
    async readiness(year: number, deadline: Deadline, account?: string): Promise<RolloverReadiness> {
      const target = await targets.of(account);
      return target.session.run({ deadline }, async (client, secret) => {
        const [report, runs] = await Promise.all([
          readiness({ client, year, families: target.families }),
          store.recentRuns({ account: target.check(secret), year }, 10),
        ]);
        return { ...report, runs: runs.map((run) => RolloverRunSummaryViewSchema.parse(run)) };
      });
    },
  };
}
