import { createAccountReads } from '../shared/accounts/reads.ts';
import { accountRoutes } from '../shared/http/account-routes.ts';
import { createHttpHandler } from '../shared/http/handler.ts';

const accounts = createAccountReads();

/** GET /accounts/{account}: the registry's record (never a key). */
export const handler = createHttpHandler(accountRoutes.getAccount, async ({ params }) => ({ account: await accounts.get(params.account) }));
