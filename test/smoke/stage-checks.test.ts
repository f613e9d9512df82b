import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { alarmsCheck, runChecks, schedulesCheck } from '../../local/smoke-checks.ts';

/** The smoke test's AWS checks (--stage), on mocked Scheduler, CloudWatch and SNS answers. */

const scheduler = mockClient(SchedulerClient);
const cloudwatch = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
const aws = { region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ix-sequences-prod-alarms';
const names = ['ix-sequences-prod-prepare', 'ix-sequences-prod-activate'];

beforeEach(() => {
  scheduler.reset();
  cloudwatch.reset();
  sns.reset();
});

const runOne = async (check: Parameters<typeof runChecks>[0][number]) => (await runChecks([check]))[0];

describe('schedules enabled', () => {
  it('passes when every schedule is enabled', async () => {
    scheduler.on(GetScheduleCommand).resolves({ State: 'ENABLED' });
    const result = await runOne(schedulesCheck(new SchedulerClient(aws), names));
    expect(result).toMatchObject({ ok: true, detail: '2 of 2 enabled (ix-sequences-prod-prepare, ix-sequences-prod-activate)' });
    expect(scheduler.commandCalls(GetScheduleCommand).map((call) => call.args[0].input.Name)).toEqual(names);
  });

  it('names a disabled and a missing schedule', async () => {
    scheduler.on(GetScheduleCommand, { Name: names[0] }).resolves({ State: 'DISABLED' });
    scheduler.on(GetScheduleCommand, { Name: names[1] }).rejects(new ResourceNotFoundException({ Message: 'gone', message: 'gone', $metadata: {} }));
    const result = await runOne(schedulesCheck(new SchedulerClient(aws), names));
    expect(result).toMatchObject({ ok: false, detail: 'ix-sequences-prod-prepare: DISABLED; ix-sequences-prod-activate: ResourceNotFoundException' });
  });
});

describe('alarms have subscribers', () => {
  const alarm = (name: string, actions: string[] = [TOPIC]) => ({ AlarmName: name, ActionsEnabled: true, AlarmActions: actions });
  const check = (expectSubscription: boolean) =>
    alarmsCheck(new CloudWatchClient(aws), new SNSClient(aws), { prefix: 'ix-sequences-prod-', expectSubscription });

  it('passes when every alarm reaches a confirmed subscription (across pages)', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand, { NextToken: undefined })
      .resolves({ MetricAlarms: [alarm('ix-sequences-prod-rollover-failed')], NextToken: 'p2' })
      .on(DescribeAlarmsCommand, { NextToken: 'p2' })
      .resolves({ MetricAlarms: [alarm('ix-sequences-prod-api-5xx-rate')] });
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [{ SubscriptionArn: `${TOPIC}:1f2e` }] });
    const result = await runOne(check(true));
    expect(result).toMatchObject({ ok: true, detail: '2 alarms, 1 topics, 1 confirmed subscriptions' });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toMatchObject({ AlarmNamePrefix: 'ix-sequences-prod-' });
  });

  it('fails where subscribers are expected and only a pending confirmation exists, or actions are off', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [alarm('ix-sequences-prod-rollover-failed'), { ...alarm('ix-sequences-prod-serie-fallback'), ActionsEnabled: false }],
    });
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [{ SubscriptionArn: 'PendingConfirmation' }] });
    const result = await runOne(check(true));
    expect(result?.ok).toBe(false);
    expect(result?.detail).toBe(
      'reaching nobody: ix-sequences-prod-rollover-failed, ix-sequences-prod-serie-fallback (2 alarms, 1 topics, 0 confirmed subscriptions)',
    );
  });

  it('reports, without failing, alarms that reach nobody where no subscription is expected', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('ix-sequences-prod-rollover-failed')] });
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [] });
    const result = await runOne(check(false));
    expect(result).toMatchObject({
      ok: true,
      detail: '1 alarms, 1 topics, 0 confirmed subscriptions; 1 reach nobody, allowed here (alarms.expectSubscription is false)',
    });
  });

  it('fails when the stage has no alarms at all', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    expect(await runOne(check(false))).toMatchObject({ ok: false, detail: 'no alarms named ix-sequences-prod-*' });
  });
});
