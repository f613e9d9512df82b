import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { budgetPartition } from '../../shared/budget/dynamodb-budget.ts';
import { RUN_TABLE_KEY } from '../../shared/rollover/run-store.ts';
import { REGISTRATION_LEASE_PARTITION } from '../../shared/sequences/registration-lease-table.ts';

/** What a function may do with the run table. */
export type RunTableAccess = 'none' | 'lease' | 'read' | 'write';

/**
 * Exactly the calls each access level needs: readers look runs up (GetItem) and list a year's
 * runs (Query); runners also take and renew the lock and write their run records (PutItem) and
 * release the lock (DeleteItem); `lease` (register, create) takes, reads and releases registration
 * leases, and only those items. Nothing updates an item in place (no UpdateItem).
 */
export const RUN_TABLE_ACTIONS: Readonly<Record<Exclude<RunTableAccess, 'none'>, readonly string[]>> = {
  lease: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  write: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
};

/** `lease` reaches only the account's registration leases (`<account>#sequence#<id>`), never a lock or a run record. */
function leasePartitionPattern(account: string): string {
  return `${account}${REGISTRATION_LEASE_PARTITION}*`;
}

/**
 * The partition keys of the rollover's items for an account: `<account>#<year>` (lock and run
 * records, shared/rollover/run-table.ts). A grant limited to them (dynamodb:LeadingKeys) cannot
 * touch another account's items nor any other kind of item the table may hold.
 */
function rolloverPartitionPattern(account: string): string {
  return `${account}#????`;
}

export interface RolloverRunTableProps {
  readonly prefix: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The rollover's lease lock (one item per account and year, expiring by itself), the record
 * of every real run and the registration leases (one item per account and sequence), in one table: `pk`/`sk` strings, TTL on `expiresAt` (only lock items carry
 * it, so records are kept).
 */
export class RolloverRunTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: RolloverRunTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Resource', {
      tableName: `${props.prefix}-rollover-runs`,
      partitionKey: { name: RUN_TABLE_KEY.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: RUN_TABLE_KEY.sortKey, type: dynamodb.AttributeType.STRING },
      // A few writes a year and reads on demand: nothing to provision.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: RUN_TABLE_KEY.timeToLive,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Records of every real run: a stage that keeps its data cannot lose the table to a stray delete.
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
    });
  }

  /**
   * The InvoiceXpress request budget (shared/budget/dynamodb-budget.ts): every function that calls
   * InvoiceXpress spends it, and may touch only the account's budget item (`BUDGET#<account>`).
   */
  grantBudget(role: iam.IGrantable, account: string): void {
    role.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [budgetPartition(account)] } },
      }),
    );
  }

  /** Grants `role` the table calls of `access` (none: nothing), on the account's rollover partitions only. */
  grant(role: iam.IGrantable, access: RunTableAccess, account: string): void {
    if (access === 'none') return;
    const pattern = access === 'lease' ? leasePartitionPattern(account) : rolloverPartitionPattern(account);
    role.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...RUN_TABLE_ACTIONS[access]],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [pattern] } },
      }),
    );
  }
}
