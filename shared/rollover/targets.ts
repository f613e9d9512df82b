import type { AccountRecord } from '../accounts/model.ts';
import type { InvoiceXpressSession } from '../runtime/invoicexpress-session.ts';
import type { ServiceRuntime } from '../runtime/service-runtime.ts';
import type { ServiceSecret } from '../runtime/secret.ts';
import { checkedAccount } from './account.ts';
import { singleFamily } from './families.ts';
import type { SerieFamily } from './families.ts';
import { familiesOf } from './settings.ts';
import type { RolloverEnv } from './settings.ts';

/**
 * The account a rollover works on, with what decides its runs: the stage's default account
 * (IX_ACCOUNT_NAME, the stage's secret, SERIE_TEMPLATES / SERIE_FAMILIES, ROLLOVER_TIME_ZONE) or a
 * registered one (its record's time zone and names, else the stage's names; its own secret).
 */
export interface RolloverTarget {
  /** Keys the run table, the lock and the events. */
  account: string;
  /** True for a registered account (its year-end status is kept: year-end.ts). */
  registered: boolean;
  session: InvoiceXpressSession;
  families: readonly SerieFamily[];
  timeZone: string;
  /** Refuses a secret that names another account (the run table is keyed by `account`). */
  check(secret: ServiceSecret): string;
}

/** A registered account's families: its own, else its templates as the one family, else the stage's. */
function familiesOfRecord(record: AccountRecord, stage: readonly SerieFamily[]): readonly SerieFamily[] {
  if (record.serieFamilies !== undefined) return record.serieFamilies;
  return record.serieTemplates !== undefined ? singleFamily(record.serieTemplates) : stage;
}

export function rolloverTargets(runtime: ServiceRuntime<RolloverEnv>) {
  const stageFamilies = familiesOf(runtime.env);
  const defaultTarget: RolloverTarget = {
    account: runtime.env.IX_ACCOUNT_NAME,
    registered: false,
    session: runtime.session,
    families: stageFamilies,
    timeZone: runtime.env.ROLLOVER_TIME_ZONE,
    check: (secret) => checkedAccount(secret, runtime.env.IX_ACCOUNT_NAME),
  };
  return {
    defaultTarget,
    /** The default account (undefined) or a registered one (AccountNotFoundError when unknown or deleted). */
    async of(account: string | undefined): Promise<RolloverTarget> {
      if (account === undefined) return defaultTarget;
      const { session, record } = await runtime.accounts.resolve(account);
      return {
        account,
        registered: true,
        session,
        families: familiesOfRecord(record, stageFamilies),
        timeZone: record.timeZone,
        check: (secret) => checkedAccount(secret, account),
      };
    },
  };
}
