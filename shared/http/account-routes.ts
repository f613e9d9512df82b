import type { AccountRecord } from '../accounts/model.ts';
import { PutAccountBodySchema, RegistryAccountNameSchema } from '../accounts/model.ts';
import * as z from '../zod.ts';
import { route } from './route-spec.ts';

/** The registry of accounts (level `admin`): register, re-key, list, read and delete accounts. */

const AccountParamsSchema = z.strictObject({
  account: RegistryAccountNameSchema.check(z.describe("The InvoiceXpress account's name (lowercase): the part before .app.invoicexpress.com")),
});

const ListAccountsQuerySchema = z.strictObject({
  limit: z
    .optional(z.pipe(z.string().check(z.regex(/^(100|[1-9][0-9]?)$/, 'must be a whole number from 1 to 100')), z.transform(Number)))
    .check(z.describe('Page size, 1-100 (default 50)')),
  nextToken: z.optional(z.string().check(z.maxLength(512))).check(z.describe('From the previous page')),
});

type AccountBody = { account: AccountRecord };
type PutAccountAnswer = { account: AccountRecord; created: boolean };
type AccountList = { accounts: AccountRecord[]; nextToken?: string };

export const accountRoutes = {
  putAccount: route<PutAccountAnswer>()({
    operationId: 'putAccount',
    entry: 'account-put',
    method: 'PUT',
    path: '/accounts/{account}',
    summary: 'Register an account or update it (a key rotation): the key is checked with one read-only InvoiceXpress call before it is stored; never answered',
    params: AccountParamsSchema,
    body: PutAccountBodySchema,
    successStatus: 200,
  }),
  listAccounts: route<AccountList>()({
    operationId: 'listAccounts',
    entry: 'accounts-list',
    method: 'GET',
    path: '/accounts',
    summary: 'The registered accounts, by name, a page at a time',
    params: undefined,
    body: undefined,
    query: ListAccountsQuerySchema,
    successStatus: 200,
  }),
  getAccount: route<AccountBody>()({
    operationId: 'getAccount',
    entry: 'account-get',
    method: 'GET',
    path: '/accounts/{account}',
    summary: 'One registered account (deleted ones too, until removed from the registry)',
    params: AccountParamsSchema,
    body: undefined,
    successStatus: 200,
  }),
  deleteAccount: route<AccountBody>()({
    operationId: 'deleteAccount',
    entry: 'account-delete',
    method: 'DELETE',
    path: '/accounts/{account}',
    summary: "Delete an account: disabled at once, its key's secret deleted after the recovery window; its runs stay on record",
    params: AccountParamsSchema,
    body: undefined,
    successStatus: 200,
  }),
} as const;
