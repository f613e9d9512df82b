import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ACCOUNTS_PARTITION } from '../../shared/accounts/registry.ts';
import { budgetPartition } from '../../shared/budget/dynamodb-budget.ts';
import { dispatchPartition } from '../../shared/fanout/dispatch-store.ts';
import { RUN_TABLE_KEY } from '../../shared/rollover/run-store.ts';
import { REGISTRATION_LEASE_PARTITION } from '../../shared/sequences/registration-lease-table.ts';

/** What a function may do with the rollover's items (locks, run records) and registration leases. */
export type RunTableAccess = 'none' | 'lease' | 'read' | 'write';
/** The account registry (`ACCOUNTS`): `read` resolves and lists accounts, `write` registers and deletes them (the admin functions). */
export type RegistryAccess = 'none' | 'read' | 'write';
/** Year-end statuses (`YEAREND#<year>`): `record` after a run, `read` the year at a glance, `track` both (the worker). */
export type YearEndAccess = 'none' | 'record' | 'read' | 'track';
/** Dispatches (`DISPATCH#<id>`): `open` one (the dispatchers), `work` its claims and counts (the worker). */
type DispatchAccess = 'none' | 'open' | 'work';
/**
 * Whose items: the stage's default account's only (the scheduled rollover), or any account's (the
 * functions serving `/accounts/{account}/…`, and the worker).
 */
export type AccountReach = 'default' | 'any';

/**
 * Exactly the calls each access level needs: readers look runs up (GetItem) and list a year's
 * runs (Query); runners also take and renew the lock and write their run records (PutItem) and
 * release the lock (DeleteItem), and take registration leases; `lease` (register, create) takes,
 * reads and releases registration leases, and only those items. Nothing updates a lock, run or
 * lease in place (no UpdateItem).
 */
export const RUN_TABLE_ACTIONS: Readonly<Record<Exclude<RunTableAccess, 'none'>, readonly string[]>> = {
  lease: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  write: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
};

/** shared/accounts/registry.ts: GetItem (one account), Query (a page, every enabled one); PutItem by the admin functions. */
const REGISTRY_ACTIONS: Readonly<Record<Exclude<RegistryAccess, 'none'>, readonly string[]>> = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  write: ['dynamodb:GetItem', 'dynamodb:PutItem'],
};

/** shared/rollover/year-end.ts: a conditional UpdateItem per run (and `paged`), a Query per year. */
const YEAR_END_ACTIONS: Readonly<Record<Exclude<YearEndAccess, 'none'>, readonly string[]>> = {
  record: ['dynamodb:UpdateItem'],
  read: ['dynamodb:Query'],
  track: ['dynamodb:UpdateItem', 'dynamodb:Query'],
};

/** shared/fanout/dispatch-store.ts: the dispatchers put and read its META item and mark it sent; the worker claims, counts and summarizes. */
const DISPATCH_ACTIONS: Readonly<Record<Exclude<DispatchAccess, 'none'>, readonly string[]>> = {
  open: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
  work: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
};

/**
 * The partitions that are not an account's own (`<account>#…`): IAM's `*` would let `*#????`
 * reach `YEAREND#2027` or `BUDGET#acme`, so grants on any account's items exclude them by name.
 */
const BUDGETS = budgetPartition('*');
/** `YEAREND#<year>` (shared/rollover/year-end.ts) and `DISPATCH#<id>` (shared/fanout/dispatch-store.ts). */
const YEAR_END_PARTITIONS = 'YEAREND#*';
const DISPATCH_PARTITIONS = dispatchPartition('*');
const SERVICE_PARTITIONS = [BUDGETS, YEAR_END_PARTITIONS, DISPATCH_PARTITIONS];
const LEASES = (account: string): string => `${account}${REGISTRATION_LEASE_PARTITION}*`;

/**
 * The leading keys a grant is limited to (dynamodb:LeadingKeys), as an IAM condition. The
 * rollover's items of an account are `<account>#<year>` (shared/rollover/run-table.ts), its
 * registration leases `<account>#sequence#<id>`: for the default account its name, for any
 * account `*` with the service's own partitions (and, for locks and runs, the leases) excluded.
 */
function partitionCondition(kind: 'rollover' | 'lease' | 'budget', reach: AccountReach, account: string): Record<string, Record<string, string[]>> {
  const name = reach === 'default' ? account : '*';
  const like = { rollover: `${name}#????`, lease: LEASES(name), budget: budgetPartition(name) }[kind];
  const excluded = reach === 'default' || kind === 'budget' ? [] : kind === 'rollover' ? [...SERVICE_PARTITIONS, LEASES('*')] : SERVICE_PARTITIONS;
  return {
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [like] },
    ...(excluded.length > 0 ? { 'ForAllValues:StringNotLike': { 'dynamodb:LeadingKeys': excluded } } : {}),
  };
}

export interface RolloverRunTableProps {
  readonly prefix: string;
  readonly removalPolicy: RemovalPolicy;
}

/** What one function may do with the table (FunctionSpec), and for whom. */
export interface RunTableGrant {
  readonly runTable: RunTableAccess;
  readonly registry: RegistryAccess;
  readonly yearEnd: YearEndAccess;
  readonly dispatch: DispatchAccess;
  /** It spends InvoiceXpress request budgets (`BUDGET#<account>`). */
  readonly budget: boolean;
  readonly reach: AccountReach;
}

/**
 * The run table: the rollover's lease lock (one item per account and year, expiring by itself),
 * the record of every real run, the registration leases (one item per account and sequence), the
 * request budgets, the account registry, the year-end statuses and the dispatches, each kind under
 * partitions of its own: `pk`/`sk` strings, TTL on `expiresAt` (only expiring items carry it, so
 * records are kept).
 */
export class RolloverRunTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: RolloverRunTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Resource', {
      tableName: `${props.prefix}-rollover-runs`,
      partitionKey: { name: RUN_TABLE_KEY.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: RUN_TABLE_KEY.sortKey, type: dynamodb.AttributeType.STRING },
      // Bursts at the year-end and reads on demand: nothing to provision.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: RUN_TABLE_KEY.timeToLive,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Records of every real run: a stage that keeps its data cannot lose the table to a stray delete.
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
    });
  }

  /** Grants `role` exactly the calls of `grant`, each on its own kind of partition; `account` is the stage's default one. */
  grant(role: iam.IGrantable, grant: RunTableGrant, account: string): void {
    const { runTable, reach } = grant;
    if (grant.budget) this.allow(role, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], partitionCondition('budget', reach, account));
    if (runTable === 'read' || runTable === 'write') this.allow(role, RUN_TABLE_ACTIONS[runTable], partitionCondition('rollover', reach, account));
    // A rollover registers with AT under the same lease as PUT register (shared/rollover/locked-run.ts).
    if (runTable === 'lease' || runTable === 'write') this.allow(role, RUN_TABLE_ACTIONS.lease, partitionCondition('lease', reach, account));
    if (grant.registry !== 'none') this.allow(role, REGISTRY_ACTIONS[grant.registry], leadingKeys(ACCOUNTS_PARTITION));
    if (grant.yearEnd !== 'none') this.allow(role, YEAR_END_ACTIONS[grant.yearEnd], leadingKeys(YEAR_END_PARTITIONS));
    if (grant.dispatch !== 'none') this.allow(role, DISPATCH_ACTIONS[grant.dispatch], leadingKeys(DISPATCH_PARTITIONS));
  }

  private allow(role: iam.IGrantable, actions: readonly string[], conditions: Record<string, Record<string, string[]>>): void {
    role.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources: [this.table.tableArn], conditions }));
  }
}

const leadingKeys = (pattern: string): Record<string, Record<string, string[]>> => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [pattern] } });
