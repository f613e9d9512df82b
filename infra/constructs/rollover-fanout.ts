import { Duration, Validations } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import type { FanoutRole } from './function-specs.ts';
import { WORKER_TIMEOUT } from './function-specs.ts';

/** Receives of one message (one account's run) before SQS moves it to the dead-letter queue: a run that crashes the worker three times needs a person. */
const ROLLOVER_MAX_RECEIVE_COUNT = 3;
/** SQS's longest retention on both queues: a stuck dispatch is still there after a holiday. */
const RETENTION = Duration.days(14);

export interface RolloverFanoutProps {
  readonly config: StageConfig;
  readonly prefix: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The registered accounts' rollover (issue 20): the rollover queue, one message per account and
 * dispatch, put there by the dispatchers (POST /rollover/dispatch and the dispatch schedules) and
 * consumed by the worker, `rolloverWorker.maxConcurrency` accounts at a time; a message that fails
 * three receives lands in the dead-letter queue (alarm). The account names and dispatch ids in the
 * messages are no secret: SQS-managed encryption.
 */
export class RolloverFanout extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  private readonly config: StageConfig;

  constructor(scope: Construct, id: string, props: RolloverFanoutProps) {
    super(scope, id);
    this.config = props.config;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `${props.prefix}-rollover-queue-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: RETENTION,
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the rollover queue: it holds the accounts whose run failed three receives, for an operator (alarm).',
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: `${props.prefix}-rollover-queue`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: RETENTION,
      // Lambda's advice for an SQS event source: six times the function's timeout.
      visibilityTimeout: Duration.seconds(WORKER_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: ROLLOVER_MAX_RECEIVE_COUNT },
      removalPolicy: props.removalPolicy,
    });
  }

  /** The worker: the queue as its event source, partial batch failures reported (a failed account alone is received again). */
  attachWorker(fn: lambda.Function): void {
    const { maxConcurrency, batchSize } = this.config.rolloverWorker;
    fn.addEventSource(new SqsEventSource(this.queue, { batchSize, maxConcurrency, reportBatchItemFailures: true }));
  }

  /** A dispatcher sends (SendMessageBatch is authorized as sqs:SendMessage); the worker's consume grant comes with its event source. */
  grant(role: iam.Role, access: FanoutRole): void {
    if (access === 'dispatch') role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
  }

  environment(access: FanoutRole): Record<string, string> {
    return access === 'dispatch' ? { ROLLOVER_QUEUE_URL: this.queue.queueUrl } : {};
  }
}
