import { Duration, TimeZone } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { pascalCase } from '../names.ts';
import { deadLetterOnFailure, schedulerRole } from './rollover-schedules.ts';

type Phase = 'prepare' | 'activate' | 'verify';

/** One tick of the registered accounts' rollover: its name suffix, the phases it dispatches, its cron fields in UTC. */
export interface DispatchScheduleSpec {
  readonly name: string;
  readonly phases: readonly Phase[];
  readonly cron: Required<Pick<scheduler.CronOptionsWithTimezone, 'minute' | 'hour' | 'day' | 'month'>>;
  readonly description: string;
}

/**
 * Registered accounts live in their own time zones, so these ticks are in UTC and each account's
 * local time decides, inside the dispatcher (shared/fanout/due.ts), whether a phase is due for it
 * now. Together they cover every IANA zone from UTC+14 to UTC-12: the December prepares at local
 * 09:00 (30 November 19:00 UTC is 1 December 09:00 at UTC+14), the activations every quarter-hour
 * from local 00:00 to 05:45 and the verifies at 01:00, 06:30 and 09:00 of 1 January (31 December
 * 10:00 UTC is midnight at UTC+14; 1 January 21:00 UTC is 09:00 at UTC-12). The last zone's
 * catch-up is the dispatcher's, not a later tick.
 */
export const DISPATCH_SCHEDULES: readonly DispatchScheduleSpec[] = [
  {
    name: 'dispatch-prepare-nov',
    phases: ['prepare'],
    cron: { minute: '0', hour: '*', day: '30', month: '11' },
    description: 'Hourly on 30 November (UTC): the prepares of the zones where 1 December has begun',
  },
  {
    name: 'dispatch-prepare-dec',
    phases: ['prepare'],
    cron: { minute: '0', hour: '*', day: '*', month: '12' },
    description: "Hourly in December (UTC): each registered account's prepare at 09:00 its time",
  },
  {
    name: 'dispatch-year-end-dec',
    phases: ['activate', 'verify'],
    cron: { minute: '0/15', hour: '10-23', day: '31', month: '12' },
    description: '31 December 10:00-23:45 UTC, every 15 minutes: activations and verifies of the zones already in 1 January',
  },
  {
    name: 'dispatch-year-end-jan',
    phases: ['activate', 'verify'],
    cron: { minute: '0/15', hour: '0-21', day: '1', month: '1' },
    description: '1 January 00:00-21:45 UTC, every 15 minutes: activations and verifies, each account at its own times',
  },
];

export interface DispatchSchedulesProps {
  readonly prefix: string;
  readonly target: NodejsFunction;
  /** The rollover schedules' dead-letter queue: a tick that never ran to the end is the same incident. */
  readonly deadLetterQueue: sqs.IQueue;
}

/** The dispatcher's schedules (EventBridge Scheduler, UTC), with the rollover schedules' retries and dead letters. */
export class DispatchSchedules extends Construct {
  readonly schedules: readonly scheduler.Schedule[];

  constructor(scope: Construct, id: string, props: DispatchSchedulesProps) {
    super(scope, id);
    deadLetterOnFailure(props.target, props.deadLetterQueue);
    const role = schedulerRole(this, {
      prefix: props.prefix,
      scheduleNames: DISPATCH_SCHEDULES.map((spec) => `${props.prefix}-${spec.name}`),
      target: props.target,
      deadLetterQueue: props.deadLetterQueue,
      description: `${props.prefix} EventBridge Scheduler: invoke the rollover dispatcher, dead-letter to the rollover queue`,
    });
    this.schedules = DISPATCH_SCHEDULES.map((spec) => this.createSchedule(spec, role, props));
  }

  private createSchedule(spec: DispatchScheduleSpec, role: iam.Role, { prefix, target, deadLetterQueue }: DispatchSchedulesProps): scheduler.Schedule {
    const scheduleName = `${prefix}-${spec.name}`;
    return new scheduler.Schedule(this, `${pascalCase(spec.name)}Schedule`, {
      scheduleName,
      description: spec.description,
      schedule: scheduler.ScheduleExpression.cron({ ...spec.cron, timeZone: TimeZone.ETC_UTC }),
      timeWindow: scheduler.TimeWindow.off(),
      target: new LambdaInvoke(target, {
        role: role.withoutPolicyUpdates(),
        input: scheduler.ScheduleTargetInput.fromObject({
          phases: spec.phases,
          // Each account's due phases are computed from the tick's own time, never from the clock.
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
          schedule: scheduleName,
        }),
        deadLetterQueue,
        retryAttempts: 4,
        maxEventAge: Duration.hours(2),
      }),
    });
  }
}
