import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { pascalCase } from '../names.ts';
import type { LogMetrics } from './log-metrics.ts';
import type { ServiceNotifications } from './notifications.ts';
import type { RolloverFanout } from './rollover-fanout.ts';

/** Where each alarm's description sends the reader for the full procedure. */
const RUNBOOK = 'docs/deploy.md, "Alarms"';

export interface ServiceAlarmsProps {
  readonly config: StageConfig;
  readonly prefix: string;
  readonly stage: apigw.Stage;
  readonly deadLetterQueue: sqs.IQueue;
  readonly notifications: ServiceNotifications;
  readonly fanout: RolloverFanout;
  readonly logMetrics: LogMetrics;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The alarms worth waking for, one per kind of incident, each notifying the alarm topic (and any
 * configured existing topics) when it goes off and again when it clears.
 */
export class ServiceAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const { config, prefix } = props;
    this.topic = this.createTopic(config, prefix, props.removalPolicy);
    const actions = [
      new SnsAction(this.topic),
      ...config.alarms.topicArns.map((arn, index) => new SnsAction(sns.Topic.fromTopicArn(this, `ExistingTopic${index + 1}`, arn))),
    ];
    this.alarms = [...rolloverAlarms(props), ...serviceHealthAlarms(props), ...notificationAlarms(props), ...fanoutAlarms(props)].map(([name, options]) =>
      this.createAlarm(prefix, name, options, actions),
    );

    const subscribed = config.alarms.emails.length + config.alarms.topicArns.length > 0;
    if (config.alarms.expectSubscription && !subscribed) {
      Annotations.of(Stack.of(this)).addWarningV2(
        'ix-sequences:alarms-without-subscription',
        `Stage "${config.stage}": nobody is subscribed to its alarms. Add alarms.emails or alarms.topicArns in infra/config.ts (docs/deploy.md, "Alarms").`,
      );
    }
  }

  private createAlarm(prefix: string, name: string, options: AlarmOptions, actions: readonly SnsAction[]): cloudwatch.Alarm {
    const created = new cloudwatch.Alarm(this, pascalCase(name), {
      alarmName: `${prefix}-${name}`,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing happened (no runs, no requests, an empty queue): not a problem.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...options,
    });
    created.addAlarmAction(...actions);
    created.addOkAction(...actions);
    return created;
  }

  private createTopic(config: StageConfig, prefix: string, removalPolicy: RemovalPolicy): sns.Topic {
    // A customer managed key: CloudWatch alarms cannot publish to a topic encrypted with the
    // AWS managed aws/sns key, because its key policy cannot grant cloudwatch.amazonaws.com.
    const key = new kms.Key(this, 'TopicKey', {
      description: `${prefix} alarm topic encryption`,
      enableKeyRotation: true,
      removalPolicy,
    });
    // Confused-deputy guard, as on the topic policy: only this account's alarms use the key.
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
    });
    key.grant(cloudWatch, 'kms:Decrypt', 'kms:GenerateDataKey*');
    const topic = new sns.Topic(this, 'Topic', {
      topicName: `${prefix}-alarms`,
      displayName: `${prefix} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one; CloudWatch (this account only) must still publish.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    topic.applyRemovalPolicy(removalPolicy);
    for (const email of config.alarms.emails) topic.addSubscription(new EmailSubscription(email));
    return topic;
  }
}

type AlarmOptions = Omit<cloudwatch.AlarmProps, 'alarmName' | 'actionsEnabled'>;
type AlarmSpec = readonly [name: string, options: AlarmOptions];

const FIVE_MINUTES = Duration.minutes(5);

/** The rollover's own incidents: a run that failed or fell back, a run that never ran to the end. */
function rolloverAlarms({ logMetrics, deadLetterQueue }: ServiceAlarmsProps): AlarmSpec[] {
  return [
    [
      'rollover-failed',
      {
        metric: logMetrics.metric('RolloverFailed', { statistic: 'Sum', period: FIVE_MINUTES }),
        threshold: 1,
        evaluationPeriods: 1,
        alarmDescription:
          'A rollover run failed where it must not: a verify found the year not active, a prepare or a manual run failed, or a run could not start. ' +
          `What to do: find the log line with "alarm":"rollover_failed" (the failed step and its detail), fix the cause (InvoiceXpress down, the API key, AT refusing), then run the phase by hand with POST /rollover; re-running never duplicates. See ${RUNBOOK}.`,
      },
    ],
    [
      'serie-fallback',
      {
        metric: logMetrics.metric('SerieFallback', { statistic: 'Sum', period: FIVE_MINUTES }),
        threshold: 1,
        evaluationPeriods: 1,
        alarmDescription:
          'AT refused the configured serie name and the rollover used the next one in the list (the run itself succeeded). ' +
          `What to do: no rush, in office hours tell whoever issues invoices which serie is now in use; the "alarm":"serie_fallback" log line names it and why AT refused. See ${RUNBOOK}.`,
      },
    ],
    [
      'rollover-dlq-not-empty',
      {
        metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: 1,
        evaluationPeriods: 1,
        alarmDescription:
          'A scheduled rollover or dispatch never ran to the end: Scheduler could not invoke the function, or it crashed or timed out. ' +
          `What to do: read the message (it names the schedule and time) and the rollover-scheduled or rollover-dispatcher log; fix the cause, check GET /rollover/{year} (or /rollover/{year}/accounts), run the phase or POST /rollover/dispatch by hand if needed, then purge the queue. See ${RUNBOOK}.`,
      },
    ],
  ];
}

/** The service's health: API errors, a lock held too long, runs that keep stopping. */
function serviceHealthAlarms({ config, logMetrics, stage }: ServiceAlarmsProps): AlarmSpec[] {
  const { api5xxRatePercent, api5xxPeriods, lockHeldSeconds } = config.alarms;
  return [
    [
      'api-5xx-rate',
      {
        // API Gateway counts each answer as 0 or 1 in 5XXError: the average is the share of 5XX.
        metric: stage.metricServerError({ statistic: 'Average', period: FIVE_MINUTES }),
        threshold: api5xxRatePercent / 100,
        evaluationPeriods: api5xxPeriods,
        datapointsToAlarm: api5xxPeriods,
        alarmDescription:
          `At least ${api5xxRatePercent}% of API answers were 5XX in each of ${api5xxPeriods} consecutive 5-minute periods: InvoiceXpress failing or slow (502/504), or the service broken (500). ` +
          `What to do: check InvoiceXpress's status and the dashboard's InvoiceXpress panel; if every call fails, check the secret (JSON, account name, API key); for 500s read the function logs. See ${RUNBOOK}.`,
      },
    ],
    [
      'rollover-lock-held-too-long',
      {
        metric: logMetrics.metric('RolloverLockHeldSeconds', { statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: lockHeldSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        alarmDescription:
          `A rollover run held the run lock for more than ${lockHeldSeconds} s, or found it held that long by another run: InvoiceXpress very slow, or a run crashed holding it (the lock expires by itself). ` +
          `What to do: look up the holder's run id (GET /rollover/runs/{runId}) and the rollover logs; once the lock has expired, check GET /rollover/{year} and run the phase by hand if needed. See ${RUNBOOK}.`,
      },
    ],
    [
      'rollover-incomplete-twice',
      {
        metric: logMetrics.metric('RolloverRuns', { dimensions: { outcome: 'incomplete' }, statistic: 'Sum', period: Duration.minutes(15) }),
        threshold: 1,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        alarmDescription:
          'Rollover runs ended "incomplete" (stopped before finishing, to be resumed) in two consecutive 15-minute periods: the rollover is not getting through. ' +
          `What to do: read the runs' steps (GET /rollover/runs/{runId}) for the step that keeps stopping; usually InvoiceXpress is slow or rate-limiting. The schedules keep retrying; the 01:00 verify pages if the year is still not active. See ${RUNBOOK}.`,
      },
    ],
  ];
}

/** Notifications: deliveries whose schedule ran out (dead-letter queue), and a queue that stopped moving. */
function notificationAlarms({ config, notifications }: ServiceAlarmsProps): AlarmSpec[] {
  const ageHours = config.alarms.notificationAgeHours;
  return [
    [
      'notifications-dlq-not-empty',
      {
        metric: notifications.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: 1,
        evaluationPeriods: 1,
        alarmDescription:
          'A webhook notification exhausted its retry schedule (4 days) and is recorded as failed: a receiver is down or refusing. ' +
          `What to do: GET /notifications?status=failed names them and their last problem; fix the receiver, then POST /notifications/redeliver {"status":"failed","since":...}; then purge the dead-letter queue. See ${RUNBOOK}.`,
      },
    ],
    [
      'notifications-oldest-message-age',
      {
        // A message lives across its retries (waits are visibility timeouts): older than the whole
        // schedule means deliveries stopped moving (the delivery function failing, or disabled).
        metric: notifications.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: ageHours * 3600,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        alarmDescription:
          `The oldest message of the notification queue is older than ${String(ageHours)} h, longer than a delivery's whole schedule: deliveries are stuck. ` +
          `What to do: read the notification-delivery function's log and errors (the webhooks secret, the table), fix it; messages are kept 14 days. See ${RUNBOOK}.`,
      },
    ],
  ];
}

/** Registered accounts waiting longer than this for the worker raise an alarm: a dispatch is stuck, not just busy. */
const ROLLOVER_QUEUE_AGE_MINUTES = 30;

/** The registered accounts' rollover: accounts whose run keeps crashing (dead letters), and accounts left waiting. */
function fanoutAlarms({ fanout }: ServiceAlarmsProps): AlarmSpec[] {
  return [
    [
      'rollover-queue-dlq-not-empty',
      {
        metric: fanout.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: 1,
        evaluationPeriods: 1,
        alarmDescription:
          "A registered account's rollover crashed or timed out three times in a row: its message (the account and the dispatch) is in the rollover queue's dead-letter queue. " +
          `What to do: read the message and the rollover-worker log for that account; fix the cause, run it with POST /accounts/{account}/rollover, check GET /rollover/{year}/accounts, then purge the queue. See ${RUNBOOK}.`,
      },
    ],
    [
      'rollover-queue-oldest-message-age',
      {
        // Accounts queued by a dispatch are normally all run within minutes (maxConcurrency at a time).
        metric: fanout.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: ROLLOVER_QUEUE_AGE_MINUTES * 60,
        evaluationPeriods: 1,
        alarmDescription:
          `Registered accounts have waited more than ${String(ROLLOVER_QUEUE_AGE_MINUTES)} minutes on the rollover queue: the worker is failing, throttled or too slow for the number of accounts. ` +
          `What to do: read the rollover-worker log and errors and the dashboard's rollover queue; fix the cause, or raise rolloverWorker.maxConcurrency; messages are kept 14 days. See ${RUNBOOK}.`,
      },
    ],
  ];
}
