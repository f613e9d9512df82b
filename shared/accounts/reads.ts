import * as z from '../zod.ts';
import { parseEnv, RunTableNameSchema } from '../runtime/env.ts';
import { AccountMissingError } from './admin-errors.ts';
import type { AccountRecord } from './model.ts';
import { dynamoDbAccountRegistry } from './registry.ts';
import type { AccountPage } from './registry.ts';

/** GET /accounts and GET /accounts/{account}: the registry only (no secret, no InvoiceXpress). */
const AccountReadsEnvSchema = z.object({ IX_ACCOUNTS_TABLE_NAME: RunTableNameSchema });

const DEFAULT_PAGE_SIZE = 50;

export function createAccountReads(env: Record<string, string | undefined> = process.env) {
  const parsed = parseEnv(AccountReadsEnvSchema, env);
  const registry = dynamoDbAccountRegistry({ tableName: parsed.IX_ACCOUNTS_TABLE_NAME });
  return {
    async get(account: string): Promise<AccountRecord> {
      const record = await registry.get(account);
      if (record === undefined) throw new AccountMissingError(account);
      return record;
    },
    list: (query: { limit?: number | undefined; nextToken?: string | undefined }): Promise<AccountPage> =>
      registry.page({ limit: query.limit ?? DEFAULT_PAGE_SIZE, nextToken: query.nextToken }),
  };
}
