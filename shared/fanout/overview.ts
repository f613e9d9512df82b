import { decodeToken, encodeToken } from '../accounts/page-token.ts';
import type { YearEndAccount, YearEndStatus } from '../rollover/year-end-status.ts';
import type { YearEndOverview } from './model.ts';

/** The failed accounts listed in `attention` (the rest: ?status=failed, a page at a time). */
const MAX_ATTENTION = 100;
const DEFAULT_PAGE = 100;

/** Enabled accounts by status: an account with no entry for the year has not started. */
export function yearEndRows(enabled: readonly string[], entries: readonly YearEndAccount[]): YearEndAccount[] {
  const byAccount = new Map(entries.map((entry) => [entry.account, entry]));
  return [...enabled].sort().map((account) => byAccount.get(account) ?? { account, status: 'not_started' });
}

export function countsOf(rows: readonly YearEndAccount[]): Record<YearEndStatus, number> {
  const counts: Record<YearEndStatus, number> = { ready: 0, activated: 0, failed: 0, not_started: 0 };
  for (const row of rows) counts[row.status] += 1;
  return counts;
}

/**
 * GET /rollover/{year}/accounts: the counts, the accounts a person must look at (their last run
 * failed) with the cause, and, with `status`, a page of the accounts in that status (by name).
 */
export function yearEndOverview(
  year: number,
  rows: readonly YearEndAccount[],
  query: { status?: YearEndStatus | undefined; limit?: number | undefined; nextToken?: string | undefined },
): YearEndOverview {
  const failed = rows.filter((row) => row.status === 'failed');
  const overview: YearEndOverview = {
    year,
    counts: countsOf(rows),
    attention: failed.slice(0, MAX_ATTENTION).map((row) => ({ account: row.account, cause: row.cause ?? 'failed' })),
    ...(failed.length > MAX_ATTENTION ? { attentionMore: failed.length - MAX_ATTENTION } : {}),
  };
  if (query.status === undefined) return overview;
  const after = query.nextToken === undefined ? undefined : decodeToken(query.nextToken);
  const matching = rows.filter((row) => row.status === query.status && (after === undefined || row.account > after));
  const page = matching.slice(0, query.limit ?? DEFAULT_PAGE);
  const last = page.at(-1);
  return { ...overview, accounts: page, ...(matching.length > page.length && last !== undefined ? { nextToken: encodeToken(last.account) } : {}) };
}
