import { dynamoDbAccountRegistry } from '../accounts/registry.ts';
import { dynamoDbYearEndStore } from '../rollover/year-end.ts';
import type { YearEndStatus } from '../rollover/year-end-status.ts';
import { parseEnv, RunTableNameSchema } from '../runtime/env.ts';
import * as z from '../zod.ts';
import type { YearEndOverview } from './model.ts';
import { yearEndOverview, yearEndRows } from './overview.ts';

/** GET /rollover/{year}/accounts: two reads (the registry, the year's statuses); no secret, no InvoiceXpress. */
const YearEndReadsEnvSchema = z.object({ ROLLOVER_TABLE_NAME: RunTableNameSchema, IX_ACCOUNTS_TABLE_NAME: RunTableNameSchema });

export function createYearEndReads(env: Record<string, string | undefined> = process.env) {
  const parsed = parseEnv(YearEndReadsEnvSchema, env);
  const registry = dynamoDbAccountRegistry({ tableName: parsed.IX_ACCOUNTS_TABLE_NAME });
  const yearEnd = dynamoDbYearEndStore({ tableName: parsed.ROLLOVER_TABLE_NAME });
  return {
    async overview(
      year: number,
      query: { status?: YearEndStatus | undefined; limit?: number | undefined; nextToken?: string | undefined },
    ): Promise<YearEndOverview> {
      const [accounts, entries] = await Promise.all([registry.enabled(), yearEnd.list(year)]);
      return yearEndOverview(
        year,
        yearEndRows(
          accounts.map((account) => account.account),
          entries,
        ),
        query,
      );
    },
  };
}
