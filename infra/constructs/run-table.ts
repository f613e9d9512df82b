import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { RUN_TABLE_KEY } from '../../shared/rollover/run-store.ts';
import { REGISTRATION_LEASE_PARTITION } from '../../shared/sequences/registration-lease-table.ts';

/** What a function may do with the run table. */
export type RunTableAccess = 'none' | 'lease' | 'read' | 'write';

/**
 * Exactly the calls each access level needs: readers look runs up (GetItem) and list a year's
 * runs (Query); runners also take, renew and release the lock and write their run records;
 * `lease` (register, create) takes, reads and releases registration leases, and only those items.
 */
export const RUN_TABLE_ACTIONS: Readonly<Record<Exclude<RunTableAccess, 'none'>, readonly string[]>> = {
  lease: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  write: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
};

/** `lease` reaches only the registration leases' partitions (`<account>#sequence#<id>`), never a lock or a run record. */
export const LEASE_LEADING_KEYS = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`*${REGISTRATION_LEASE_PARTITION}*`] } };

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
      removalPolicy: props.removalPolicy,
    });
  }

  /** Grants `role` the table calls of `access` (none: nothing). */
  grant(role: iam.IGrantable, access: RunTableAccess): void {
    if (access === 'none') return;
    if (access === 'lease') {
      iam.Grant.addToPrincipal({ grantee: role, actions: [...RUN_TABLE_ACTIONS.lease], resourceArns: [this.table.tableArn], conditions: LEASE_LEADING_KEYS });
      return;
    }
    this.table.grant(role, ...RUN_TABLE_ACTIONS[access]);
  }
}
