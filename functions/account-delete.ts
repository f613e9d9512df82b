import { createAccountAdmin } from '../shared/accounts/admin.ts';
import { accountRoutes } from '../shared/http/account-routes.ts';
import { createHttpHandler } from '../shared/http/handler.ts';

const admin = createAccountAdmin();

/** DELETE /accounts/{account}: disabled at once, its secret's deletion scheduled; its runs stay on record. */
export const handler = createHttpHandler(accountRoutes.deleteAccount, async ({ params }) => ({ account: await admin.remove(params.account) }));
