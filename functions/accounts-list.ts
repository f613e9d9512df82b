import { createAccountReads } from '../shared/accounts/reads.ts';
import { accountRoutes } from '../shared/http/account-routes.ts';
import { createHttpHandler } from '../shared/http/handler.ts';

const accounts = createAccountReads();

/** GET /accounts: the registry, by name, a page at a time. */
export const handler = createHttpHandler(accountRoutes.listAccounts, ({ query }) => accounts.list(query));
