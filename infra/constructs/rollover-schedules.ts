import { Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { pascalCase } from '../names.ts';

type Phase = 'prepare' | 'activate' | 'verify';

/** One schedule: its name suffix, phase, cron fields (in the stage's time zone) and purpose. */
export interface RolloverScheduleSpec {
  readonly name: string;
  readonly phase: Phase;
  readonly cron: Required<Pick<scheduler.CronOptionsWithTimezone, 'minute' | 'hour' | 'day' | 'month'>>;
  readonly description: string;
}

export const ROLLOVER_SCHEDULES: readonly RolloverScheduleSpec[] = [
  // Every day of December: next year's serie is created and registered early, so a refusal by AT
  // leaves weeks to react; each run after the first changes nothing.
  {
    name: 'prepare',
    phase: 'prepare',
    cron: { minute: '0', hour: '9', day: '1-31', month: '12' },
    description: "Daily in December: create and register next year's serie",
  },
  // From the first minute of the year until 05:45: an InvoiceXpress outage at midnight delays the
  // activation by 15 minutes, not to the next day; a run that finds it done changes nothing.
  {
    name: 'activate',
    phase: 'activate',
    cron: { minute: '0/15', hour: '0-5', day: '1', month: '1' },
    description: "1 January, every 15 minutes 00:00-05:45: make the year's serie the default",
  },
  // Read-only checks that page (rollover failed) when the year is still not active.
  {
    name: 'verify-0100',
    phase: 'verify',
    cron: { minute: '0', hour: '1', day: '1', month: '1' },
    description: "1 January 01:00: check the year's serie is registered and the default",
  },
  {
    name: 'verify-0630',
    phase: 'verify',
    cron: { minute: '30', hour: '6', day: '1', month: '1' },
    description: "1 January 06:30: check the year's serie is registered and the default",
  },
  {
    name: 'verify-0900',
    phase: 'verify',
    cron: { minute: '0', hour: '9', day: '1', month: '1' },
    description: "1 January 09:00: check the year's serie is registered and the default",
  },
];

export interface RolloverSchedulesProps {
  readonly config: StageConfig;
  readonly prefix: string;
  readonly target: NodejsFunction;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The yearly rollover's schedules (EventBridge Scheduler, in the stage's time zone) and their
 * dead-letter queue, which also receives scheduled invocations that crashed or timed out.
 */
export class RolloverSchedules extends Construct {
  readonly deadLetterQueue: sqs.Queue;
  readonly schedules: readonly scheduler.Schedule[];

  constructor(scope: Construct, id: string, props: RolloverSchedulesProps) {
    super(scope, id);
    this.deadLetterQueue = this.createDeadLetterQueue(props);
    // A failed run is not an error for Lambda (the function records it and returns; the next
    // scheduled time tries again), so Lambda's own retries would only repeat crashes: none. A
    // crash or timeout goes straight to the queue. Throttled events (reserved concurrency 1) are
    // retried by Lambda regardless, for up to the maximum event age.
    deadLetterOnFailure(props.target, this.deadLetterQueue);
    const role = schedulerRole(this, {
      prefix: props.prefix,
      scheduleNames: ROLLOVER_SCHEDULES.map((spec) => `${props.prefix}-${spec.name}`),
      target: props.target,
      deadLetterQueue: this.deadLetterQueue,
      description: `${props.prefix} EventBridge Scheduler: invoke the rollover, dead-letter to its queue`,
    });
    this.schedules = ROLLOVER_SCHEDULES.map((spec) => this.createSchedule(spec, role, props));
  }

  /**
   * What never ran to the end: events Scheduler could not deliver, and invocations that crashed
   * or timed out. Either way an operator must look (alarm) and, if needed, run the phase by hand.
   */
  private createDeadLetterQueue(props: RolloverSchedulesProps): sqs.Queue {
    const queue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `${props.prefix}-rollover-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the rollover schedules and function; nothing consumes it automatically.',
    });
    return queue;
  }

  private createSchedule(spec: RolloverScheduleSpec, role: iam.Role, { config, prefix, target }: RolloverSchedulesProps): scheduler.Schedule {
    const scheduleName = `${prefix}-${spec.name}`;
    return lambdaSchedule(this, `${pascalCase(spec.name)}Schedule`, {
      scheduleName,
      description: spec.description,
      cron: spec.cron,
      timeZone: TimeZone.of(config.scheduleTimeZone),
      target,
      role,
      deadLetterQueue: this.deadLetterQueue,
      // The rollover derives the year from the schedule's own time, never from the clock, and
      // records the schedule's name as the run's caller.
      input: { phase: spec.phase },
    });
  }
}

/**
 * A crash or timeout of a scheduled invocation goes straight to the dead-letter queue: Lambda's
 * own retries would only repeat it, and the schedules repeat by themselves.
 */
export function deadLetterOnFailure(target: NodejsFunction, deadLetterQueue: sqs.IQueue): void {
  target.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.hours(6), onFailure: new SqsDestination(deadLetterQueue) });
}

export interface SchedulerRoleOptions {
  readonly prefix: string;
  /** The only schedules that may assume it (their names, in the default group). */
  readonly scheduleNames: readonly string[];
  readonly target: NodejsFunction;
  readonly deadLetterQueue: sqs.IQueue;
  readonly description: string;
  readonly id?: string;
}

/**
 * Our own role rather than the one LambdaInvoke would create: that one is granted
 * "<function ARN>:*" (every version/alias), this one only the unqualified function, and only
 * the named schedules may assume it.
 */
export function schedulerRole(scope: Construct, options: SchedulerRoleOptions): iam.Role {
  const stack = Stack.of(scope);
  // The schedules' ARNs from their names (the default group): referring to the schedules
  // themselves would make the role depend on them and them on the role.
  const scheduleArns = options.scheduleNames.map((name) => stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `default/${name}` }));
  return new iam.Role(scope, options.id ?? 'SchedulerRole', {
    description: options.description,
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      // Confused-deputy guard: only this stage's own schedules, in this account, may assume the role.
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account }, ArnEquals: { 'aws:SourceArn': scheduleArns } },
    }),
    inlinePolicies: {
      rollover: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [options.target.functionArn] }),
          new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [options.deadLetterQueue.queueArn] }),
        ],
      }),
    },
  });
}

/**
 * A schedule that invokes `target` with `input` plus the schedule's own time
 * (<aws.scheduler.scheduled-time>, which decides over the clock) and name, through our own role.
 * Scheduler retries only failed deliveries (throttling, Lambda unavailable), with backoff, then
 * dead-letters them.
 */
export function lambdaSchedule(
  scope: Construct,
  id: string,
  options: {
    scheduleName: string;
    description: string;
    cron: Required<Pick<scheduler.CronOptionsWithTimezone, 'minute' | 'hour' | 'day' | 'month'>>;
    timeZone: TimeZone;
    target: NodejsFunction;
    role: iam.Role;
    deadLetterQueue: sqs.IQueue;
    input: Record<string, unknown>;
  },
): scheduler.Schedule {
  const { scheduleName } = options;
  return new scheduler.Schedule(scope, id, {
    scheduleName,
    description: options.description,
    schedule: scheduler.ScheduleExpression.cron({ ...options.cron, timeZone: options.timeZone }),
    timeWindow: scheduler.TimeWindow.off(),
    target: new LambdaInvoke(options.target, {
      // withoutPolicyUpdates: the grants LambdaInvoke would add are already in the role's inline policy.
      role: options.role.withoutPolicyUpdates(),
      input: scheduler.ScheduleTargetInput.fromObject({ ...options.input, scheduledTime: scheduler.ContextAttribute.scheduledTime, schedule: scheduleName }),
      deadLetterQueue: options.deadLetterQueue,
      retryAttempts: 4,
      maxEventAge: Duration.hours(2),
    }),
  });
}
