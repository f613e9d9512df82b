import { Duration, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { SERVICE_NAME } from '../names.ts';
import type { ServiceEventBus } from './event-bus.ts';
import { NOTIFICATIONS_TABLE_KEY } from '../../shared/notifications/dynamodb-store.ts';

/**
 * What a function may do with notifications: `publish` (the functions that change the account:
 * take sequence numbers, queue events, put them on the bus), `read` (the delivery log routes),
 * `redeliver` (read, save, queue again), `deliver` (the delivery function: the queue, the
 * dead-letter queue, the table and the only grant on the webhooks secret).
 */
export type NotificationAccess = 'none' | 'publish' | 'read' | 'redeliver' | 'deliver';

/** Exactly the table calls each access needs. */
export const NOTIFICATIONS_TABLE_ACTIONS: Readonly<Record<Exclude<NotificationAccess, 'none'>, readonly string[]>> = {
  // The per-account sequence-number counter (an atomic UpdateItem), nothing else.
  publish: ['dynamodb:UpdateItem'],
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  redeliver: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  deliver: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
};

/** Retention of the queue and its dead-letter queue: SQS's longest, well past the 4-day schedule. */
const NOTIFICATION_RETENTION = Duration.days(14);
/** The delivery function's timeout: a batch of attempts of 15 s each, in parallel, and their records. */
export const DELIVERY_TIMEOUT = Duration.seconds(60);
/**
 * Receives before SQS moves a message to the dead-letter queue by itself. The table's attempts
 * decide when a schedule is exhausted (the function then sends it there); this only catches a
 * message that crashes the function every time, and is high enough never to race the schedule
 * (about 13 attempts over 4 days, each wait one receive).
 */
export const MAX_RECEIVE_COUNT = 100;

export interface ServiceNotificationsProps {
  readonly config: StageConfig;
  readonly prefix: string;
  readonly bus: ServiceEventBus;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Durable notifications (issue 17): the delivery queue (KMS, 14 days) and its dead-letter queue,
 * the notifications table (events' sequence numbers, notifications, attempts, endpoint states),
 * the webhooks secret `ix-sequences/<stage>/webhooks` (endpoints and their signing secrets, read
 * only by the delivery function) and the grants and environment of each kind of function.
 */
export class ServiceNotifications extends Construct {
  readonly key: kms.Key;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly table: dynamodb.Table;
  readonly secretKey: kms.Key;
  readonly webhooksSecret: secretsmanager.Secret;
  readonly bus: ServiceEventBus;
  private readonly config: StageConfig;

  constructor(scope: Construct, id: string, props: ServiceNotificationsProps) {
    super(scope, id);
    this.config = props.config;
    this.bus = props.bus;
    this.key = new kms.Key(this, 'QueueKey', {
      description: `${props.prefix} notification queues encryption`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.deadLetterQueue = this.createDeadLetterQueue(props);
    this.queue = this.createQueue(props);
    this.table = this.createTable(props);
    this.secretKey = new kms.Key(this, 'SecretKey', {
      description: `${props.prefix} webhooks secret encryption`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.webhooksSecret = this.createSecret(props);
  }

  private createDeadLetterQueue(props: ServiceNotificationsProps): sqs.Queue {
    const queue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `${props.prefix}-notifications-dlq`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: NOTIFICATION_RETENTION,
      removalPolicy: props.removalPolicy,
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the notification queue: it holds notifications whose schedule is exhausted, for an operator (alarm) and the redelivery routes.',
    });
    return queue;
  }

  private createQueue(props: ServiceNotificationsProps): sqs.Queue {
    return new sqs.Queue(this, 'Queue', {
      queueName: `${props.prefix}-notifications`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: NOTIFICATION_RETENTION,
      // Lambda's advice for an SQS event source: six times the function's timeout.
      visibilityTimeout: Duration.seconds(DELIVERY_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
      removalPolicy: props.removalPolicy,
    });
  }

  private createTable(props: ServiceNotificationsProps): dynamodb.Table {
    const { partitionKey, sortKey, indexes } = NOTIFICATIONS_TABLE_KEY;
    const table = new dynamodb.Table(this, 'Table', {
      tableName: `${props.prefix}-notifications`,
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
    });
    // The delivery log, newest first: by status (GET /notifications?status=), and all of it.
    for (const index of indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
      });
    }
    return table;
  }

  private createSecret(props: ServiceNotificationsProps): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'WebhooksSecret', {
      secretName: `${SERVICE_NAME}/${props.config.stage}/webhooks`,
      description: `Webhook endpoints of ${props.prefix}: a JSON array of {"url","secret":"whsec_...","previousSecret"?,"previousSecretUntil"?,"events"?} (docs/deploy.md)`,
      encryptionKey: this.secretKey,
      // No endpoints until an operator puts the real list: an empty array is valid and sends nothing.
      secretStringValue: SecretValue.unsafePlainText('[]'),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Endpoint secrets are shared with each receiver, who must install a new one: rotation is by hand, with previousSecret and previousSecretUntil signing with both until the receiver has switched (docs/deploy.md).',
    });
    return secret;
  }

  /** The delivery function: the queue as its event source, partial batch failures reported. */
  attachDelivery(fn: lambda.Function): void {
    fn.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 5 }));
  }

  /** Only `roles` (the delivery function's) and the break-glass role may decrypt the webhooks secret. */
  restrictSecretTo(roles: readonly iam.IRole[]): void {
    const allowed = [...roles.map((role) => role.roleArn), ...(this.config.breakGlassRoleArn === undefined ? [] : [this.config.breakGlassRoleArn])];
    this.secretKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DecryptOnlyByTheDeliveryFunction',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Decrypt', 'kms:ReEncryptFrom'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': allowed } },
      }),
    );
  }

  /** Grants `role` what `access` needs, and nothing of the rest. */
  grant(role: iam.Role, access: NotificationAccess): void {
    if (access === 'none') return;
    const onIndex = access === 'publish' ? [] : NOTIFICATIONS_TABLE_KEY.indexes.map((index) => `${this.table.tableArn}/index/${index.indexName}`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...NOTIFICATIONS_TABLE_ACTIONS[access]], resources: [this.table.tableArn, ...onIndex] }));
    if (access === 'publish' || access === 'redeliver' || access === 'deliver') this.grantSend(role, this.queue);
    if (access === 'publish') this.bus.grantPut(role);
    if (access === 'deliver') this.grantDelivery(role);
  }

  /**
   * SendMessage on `queue` and the two key calls a producer of a KMS-encrypted queue makes
   * (named, not the wildcards grantSendMessages adds: kms:ReEncrypt*, kms:GenerateDataKey*).
   */
  private grantSend(role: iam.Role, queue: sqs.Queue): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], resources: [queue.queueArn] }),
    );
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }));
  }

  private grantDelivery(role: iam.Role): void {
    this.grantSend(role, this.deadLetterQueue);
    // Waits longer than SQS's 15-minute delay keep the message invisible (up to 12 h).
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:ChangeMessageVisibility'], resources: [this.queue.queueArn] }));
    this.webhooksSecret.grantRead(role);
  }

  /** The variables of each kind of function (shared/notifications reads them with zod). */
  environment(access: NotificationAccess): Record<string, string> {
    if (access === 'none') return {};
    const base = { NOTIFICATIONS_TABLE_NAME: this.table.tableName };
    if (access === 'read') return base;
    const queued = { ...base, NOTIFICATIONS_QUEUE_URL: this.queue.queueUrl };
    if (access === 'publish') return { ...queued, EVENT_BUS_NAME: this.bus.bus.eventBusName };
    if (access === 'redeliver') return queued;
    return { ...queued, NOTIFICATIONS_DLQ_URL: this.deadLetterQueue.queueUrl, WEBHOOKS_SECRET_ID: this.webhooksSecret.secretArn };
  }
}
