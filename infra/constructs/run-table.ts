import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { budgetPartition } from '../../shared/budget/dynamodb-budget.ts';
import { RUN_TABLE_KEY } from '../../shared/rollover/run-store.ts';

/** What a function may do with the run table. */
export type RunTableAccess = 'none' | 'read' | 'write';

/**
 * Exactly the calls each access level needs: readers look runs up (GetItem) and list a year's
 * runs (Query); runners also take, renew and release the lock and write their run records.
 */
export const RUN_TABLE_ACTIONS: Readonly<Record<Exclude<RunTableAccess, 'none'>, readonly string[]>> = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  write: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
};

export interface RolloverRunTableProps {
  readonly prefix: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The rollover's lease lock (one item per account and year, expiring by itself) and the record
 * of every real run, in one table: `pk`/`sk` strings, TTL on `expiresAt` (only lock items carry
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
      removalPolicy: props.removalPolicy,
    });
  }

  /**
   * The InvoiceXpress request budget (shared/budget/dynamodb-budget.ts): every function that calls
   * InvoiceXpress spends it, and may touch only the budget's items (`BUDGET#<account>`).
   */
  grantBudget(role: iam.IGrantable): void {
    role.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [budgetPartition('*')] } },
      }),
    );
  }

  /** Grants `role` the table calls of `access` (none: nothing). */
  grant(role: iam.IGrantable, access: RunTableAccess): void {
    if (access === 'none') return;
    this.table.grant(role, ...RUN_TABLE_ACTIONS[access]);
  }
}
