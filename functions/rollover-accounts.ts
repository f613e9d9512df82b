import { createYearEndReads } from '../shared/fanout/year-end-reads.ts';
import { createHttpHandler } from '../shared/http/handler.ts';
import { fanoutRoutes } from '../shared/http/fanout-routes.ts';

const yearEnd = createYearEndReads();

/** GET /rollover/{year}/accounts: counts by status over the registered accounts, who needs a person, a page of one status. */
export const handler = createHttpHandler(fanoutRoutes.rolloverAccounts, ({ params, query }) => yearEnd.overview(params.year, query));
