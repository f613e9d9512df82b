import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchClient, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import { IxSequencesError } from '../client/index.ts';
import type { IxSequencesClient } from '../client/index.ts';

/**
 * The checks of `npm run smoke` (local/smoke.ts): every one only reads. The API checks go through
 * the caller client and call GET routes only; the AWS checks use Describe/Get/List calls only.
 * A check returns what it saw (one line) or throws: its message is the reason it failed.
 */

export interface SmokeCheck {
  readonly name: string;
  run(): Promise<string>;
}

export interface SmokeResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** A run id of the right shape that no run ever gets (its random suffix is outside the generator's use). */
const UNUSED_RUN_ID = '2000-20000101T000000000Z-smoke0';

function describeFailure(error: unknown): string {
  // A client error's message already reads `<route>: <status> <code>: <message>`.
  if (error instanceof IxSequencesError) return error.message;
  if (!(error instanceof Error)) return String(error);
  return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
}

export async function runChecks(checks: readonly SmokeCheck[]): Promise<SmokeResult[]> {
  const results: SmokeResult[] = [];
  // One at a time, in order: the lines read as a story, and a deployed stage sees no burst.
  for (const check of checks) {
    try {
      results.push({ name: check.name, ok: true, detail: await check.run() });
    } catch (error) {
      results.push({ name: check.name, ok: false, detail: describeFailure(error) });
    }
  }
  return results;
}

/** `GET /rollover/runs/{runId}` of a run that does not exist: the gateway, IAM, a function and the run table answer, InvoiceXpress is not involved. */
export function apiAnswersCheck(ix: IxSequencesClient): SmokeCheck {
  return {
    name: 'api answers',
    async run() {
      const error = await ix.rolloverRunRecord({ runId: UNUSED_RUN_ID }).then(
        () => new Error(`run ${UNUSED_RUN_ID} exists: expected 404 not_found`),
        (reason: unknown) => reason,
      );
      if (error instanceof IxSequencesError && error.status === 404 && error.code === 'not_found') {
        return `GET /rollover/runs/{runId} answered 404 not_found in the contract's shape (request ${error.requestId ?? 'without id'})`;
      }
      throw error;
    },
  };
}

/** `GET /sequences`: the secret is readable and InvoiceXpress accepts the account and key. */
export function listSequencesCheck(ix: IxSequencesClient): SmokeCheck {
  return {
    name: 'GET /sequences',
    async run() {
      const { sequences } = await ix.listSequences();
      const current = sequences.find((s) => s.isDefault);
      return `sequences: ${String(sequences.length)}, default serie ${current ? `"${current.serie}"` : 'none'}`;
    },
  };
}

/** `GET /rollover/{year}` for the coming year: reported, not judged (before December nothing is due). */
export function rolloverReadinessCheck(ix: IxSequencesClient, year: number): SmokeCheck {
  return {
    name: `GET /rollover/${String(year)}`,
    async run() {
      const readiness = await ix.rolloverStatus({ year });
      if (readiness.year !== year) throw new Error(`answered the readiness of ${String(readiness.year)}, not ${String(year)}`);
      if (readiness.serie === null) return `${String(year)}: no serie yet (the prepare schedule creates it in December)`;
      const state = [
        readiness.exists ? 'exists' : 'missing',
        readiness.registered ? 'registered' : 'not registered',
        readiness.current ? 'the default' : 'not the default',
      ];
      return `${String(year)}: serie "${readiness.serie}" ${state.join(', ')}; ${String(readiness.runs.length)} runs on record`;
    },
  };
}

/** Every rollover schedule of the stage exists and is enabled. */
export function schedulesCheck(scheduler: SchedulerClient, scheduleNames: readonly string[]): SmokeCheck {
  return {
    name: 'schedules enabled',
    async run() {
      const problems: string[] = [];
      for (const name of scheduleNames) {
        const schedule = await scheduler.send(new GetScheduleCommand({ Name: name })).catch((error: unknown) => {
          problems.push(`${name}: ${error instanceof Error ? error.name : String(error)}`);
          return undefined;
        });
        if (schedule !== undefined && schedule.State !== 'ENABLED') problems.push(`${name}: ${schedule.State ?? 'no state'}`);
      }
      if (problems.length > 0) throw new Error(problems.join('; '));
      return `${String(scheduleNames.length)} of ${String(scheduleNames.length)} enabled (${scheduleNames.join(', ')})`;
    },
  };
}

async function allAlarms(cloudwatch: CloudWatchClient, prefix: string): Promise<MetricAlarm[]> {
  const alarms: MetricAlarm[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm'], NextToken: nextToken }));
    alarms.push(...(page.MetricAlarms ?? []));
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return alarms;
}

/** Confirmed subscriptions of a topic (a pending e-mail confirmation reaches nobody yet). */
async function confirmedSubscriptions(sns: SNSClient, topicArn: string): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: nextToken }));
    count += (page.Subscriptions ?? []).filter((s) => s.SubscriptionArn?.startsWith('arn:') === true).length;
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return count;
}

export interface AlarmsCheckOptions {
  /** `ix-sequences-<stage>-`: the stage's alarms. */
  readonly prefix: string;
  /** The stage's `alarms.expectSubscription`: false (dev, staging) reports an unheard alarm without failing. */
  readonly expectSubscription: boolean;
}

/** The stage's alarms exist, have actions enabled, and each reaches a confirmed subscriber. */
export function alarmsCheck(cloudwatch: CloudWatchClient, sns: SNSClient, options: AlarmsCheckOptions): SmokeCheck {
  return {
    name: 'alarms have subscribers',
    async run() {
      const alarms = await allAlarms(cloudwatch, options.prefix);
      if (alarms.length === 0) throw new Error(`no alarms named ${options.prefix}*`);
      const topics = new Map<string, number>();
      const unheard: string[] = [];
      for (const alarm of alarms) {
        const targets = (alarm.AlarmActions ?? []).filter((arn) => arn.startsWith('arn:aws') && arn.includes(':sns:'));
        for (const arn of targets) if (!topics.has(arn)) topics.set(arn, await confirmedSubscriptions(sns, arn));
        const heard = alarm.ActionsEnabled === true && targets.some((arn) => (topics.get(arn) ?? 0) > 0);
        if (!heard) unheard.push(alarm.AlarmName ?? '(unnamed)');
      }
      const subscribers = [...topics.values()].reduce((sum, n) => sum + n, 0);
      const summary = `${String(alarms.length)} alarms, ${String(topics.size)} topics, ${String(subscribers)} confirmed subscriptions`;
      if (unheard.length === 0) return summary;
      if (options.expectSubscription) throw new Error(`reaching nobody: ${unheard.join(', ')} (${summary})`);
      return `${summary}; ${String(unheard.length)} reach nobody, allowed here (alarms.expectSubscription is false)`;
    },
  };
}
