import type { Dispatched, YearEndOverview } from '../fanout/model.ts';
import { DispatchInputSchema } from '../fanout/model.ts';
import { YEAR_END_STATUSES } from '../rollover/year-end-status.ts';
import * as z from '../zod.ts';
import { route } from './route-spec.ts';

/** The rollover of every registered account: a dispatch on demand, and the year at a glance. */

const YearParamsSchema = z.strictObject({
  year: z
    .pipe(z.string().check(z.regex(/^2[0-9]{3}$/, 'must be a year between 2000 and 2999')), z.transform(Number))
    .check(z.describe('The calendar year, e.g. 2027')),
});

const YearAccountsQuerySchema = z.strictObject({
  status: z.optional(z.enum(YEAR_END_STATUSES)).check(z.describe('Also list the accounts in this status, a page at a time')),
  limit: z
    .optional(z.pipe(z.string().check(z.regex(/^(1000|[1-9][0-9]{0,2})$/, 'must be a whole number from 1 to 1000')), z.transform(Number)))
    .check(z.describe('Page size of `accounts`, 1-1000 (default 100)')),
  nextToken: z.optional(z.string().check(z.maxLength(512))).check(z.describe('From the previous page')),
});

export const fanoutRoutes = {
  dispatchRollover: route<Dispatched>()({
    operationId: 'dispatchRollover',
    entry: 'rollover-dispatch',
    method: 'POST',
    path: '/rollover/dispatch',
    summary: 'Run a rollover phase now for every enabled registered account: one message per account on the rollover queue (answers at once)',
    params: undefined,
    body: DispatchInputSchema,
    successStatus: 202,
  }),
  rolloverAccounts: route<YearEndOverview>()({
    operationId: 'rolloverAccounts',
    entry: 'rollover-accounts',
    method: 'GET',
    path: '/rollover/{year}/accounts',
    summary: 'The year at a glance over the registered accounts: how many are ready, activated, failed or not started, and who needs a person',
    params: YearParamsSchema,
    body: undefined,
    query: YearAccountsQuerySchema,
    successStatus: 200,
  }),
} as const;
