import { TimeZone } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DISPATCH_SCHEDULES } from '../../shared/fanout/due.ts';
import type { DispatchSchedule } from '../../shared/fanout/due.ts';
import { pascalCase } from '../names.ts';
import { deadLetterOnFailure, lambdaSchedule, schedulerRole } from './rollover-schedules.ts';

/**
 * One schedule per tick of shared/fanout/due.ts (DISPATCH_SCHEDULES: the dispatcher's own timetable,
 * in UTC, so the ticks and the accounts' local times they are checked against are one list).
 * Registered accounts live in their own time zones: each tick asks the dispatcher which accounts
 * are due then, by each account's local time; together the ticks cover every zone from UTC+14 to
 * UTC-12 (test/infra/fanout.test.ts).
 */
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

  private createSchedule(spec: DispatchSchedule, role: iam.Role, { prefix, target, deadLetterQueue }: DispatchSchedulesProps): scheduler.Schedule {
    // Each account's due phases are computed from the tick's own time, never from the clock.
    return lambdaSchedule(this, `${pascalCase(spec.name)}Schedule`, {
      scheduleName: `${prefix}-${spec.name}`,
      description: spec.description,
      cron: spec.cron,
      timeZone: TimeZone.ETC_UTC,
      target,
      role,
      deadLetterQueue,
      input: { phases: spec.phases },
    });
  }
}
