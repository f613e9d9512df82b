import { createInvoiceXpressClient } from '../invoicexpress/client.ts';
import { isInvoiceXpressError } from '../invoicexpress/errors.ts';
import type { Deadline } from '../runtime/deadline.ts';
import type * as z from '../zod.ts';
import { AccountAdminEnvSchema, checkDeployedEnv, parseEnv } from '../runtime/env.ts';
import { budgetsOf } from '../runtime/service-runtime.ts';
import { AccountMissingError, AccountRefusedError } from './admin-errors.ts';
import { accountAfterPut } from './model.ts';
import type { AccountRecord, PutAccountBody } from './model.ts';
import { dynamoDbAccountRegistry } from './registry.ts';
import { secretsManagerAccountSecrets } from './secrets.ts';

/**
 * Registering, re-keying and deleting accounts (the admin functions). A key is stored only once
 * InvoiceXpress has accepted it (one read-only call); it goes into the account's own secret and
 * nowhere else: the record, the answer and the log lines never carry it.
 */

/** One list call with the new key (the API's share of the account's budget): a refusal is the caller's to fix. */
async function checkKey(env: AdminEnv, account: string, apiKey: string, deadline: Deadline): Promise<void> {
  const client = createInvoiceXpressClient({
    accountName: account,
    apiKey,
    baseUrl: env.parsed.IX_BASE_URL?.replaceAll('{account}', account),
    timeoutMs: env.parsed.IX_TIMEOUT_MS,
    budget: env.budgetFor?.(account),
  });
  try {
    await client.checkAccess({ deadline });
  } catch (error) {
    if (isInvoiceXpressError(error) && error.kind === 'unauthorized') {
      throw new AccountRefusedError('key_refused', `InvoiceXpress refused this API key for account '${account}' (401): nothing was stored`);
    }
    if (isInvoiceXpressError(error) && error.kind === 'not_found') {
      throw new AccountRefusedError('no_such_account', `InvoiceXpress has no account '${account}' (404): nothing was stored`);
    }
    throw error;
  }
}

interface AdminEnv {
  parsed: z.output<typeof AccountAdminEnvSchema>;
  budgetFor: ReturnType<typeof budgetsOf>;
}

export function createAccountAdmin(env: Record<string, string | undefined> = process.env) {
  const parsed = parseEnv(AccountAdminEnvSchema, env);
  checkDeployedEnv(parsed);
  const admin: AdminEnv = { parsed, budgetFor: budgetsOf(parsed) };
  const registry = dynamoDbAccountRegistry({ tableName: parsed.IX_ACCOUNTS_TABLE_NAME });
  const secrets = secretsManagerAccountSecrets({ stage: parsed.STAGE, kmsKeyId: parsed.ACCOUNT_SECRETS_KMS_KEY_ID });

  return {
    /** PUT /accounts/{account}: checks the key, writes the secret, then the record. */
    async put(account: string, body: PutAccountBody, deadline: Deadline): Promise<{ account: AccountRecord; created: boolean }> {
      if (account === parsed.IX_ACCOUNT_NAME.toLowerCase()) {
        throw new AccountRefusedError(
          'default_account',
          `'${account}' is this stage's default account (its own secret): it is served on the routes without /accounts/{account}`,
        );
      }
      const stored = await registry.get(account, { consistent: true });
      await checkKey(admin, account, body.apiKey, deadline);
      await secrets.save(account, { accountName: account, apiKey: body.apiKey });
      const record = accountAfterPut(account, body, stored, new Date().toISOString());
      await registry.put(record);
      return { account: record, created: stored === undefined };
    },

    /** DELETE /accounts/{account}: disabled at once; its secret deleted after the recovery window; its runs kept. */
    async remove(account: string): Promise<AccountRecord> {
      const stored = await registry.get(account, { consistent: true });
      if (stored === undefined) throw new AccountMissingError(account);
      const deletionDate = (await secrets.scheduleDeletion(account)) ?? stored.secretDeletionDate;
      const now = new Date().toISOString();
      const record: AccountRecord = {
        ...stored,
        enabled: false,
        disabledAt: stored.disabledAt ?? now,
        updatedAt: now,
        ...(deletionDate === undefined ? {} : { secretDeletionDate: deletionDate }),
      };
      await registry.put(record);
      return record;
    },
  };
}
