import { createAccountAdmin } from '../shared/accounts/admin.ts';
import { accountRoutes } from '../shared/http/account-routes.ts';
import { createHttpHandler } from '../shared/http/handler.ts';

const admin = createAccountAdmin();

/** PUT /accounts/{account}: register or update an account; its key checked with InvoiceXpress, then stored in its own secret. */
export const handler = createHttpHandler(accountRoutes.putAccount, ({ params, body, deadline }) => admin.put(params.account, body, deadline));
