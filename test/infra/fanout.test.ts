import { beforeAll, describe, expect, it } from 'vitest';
import type { StageConfigInput } from '../../infra/config.ts';
import { DISPATCH_SCHEDULES } from '../../shared/fanout/due.ts';
import { matchesFilter, select } from './filter-pattern.ts';
import {
  STAGES_UNDER_TEST,
  dashboardWidgets,
  functionLogicalId,
  iamStatements,
  logGroupOf,
  metricFilters,
  props,
  refTarget,
  resourcesOfType,
  synthStage,
} from './support.ts';
import type { CfnTemplate } from './support.ts';

/** The registered accounts' rollover (issue 20): the rollover queue and its worker, the dispatch schedules, their alarms and dashboard. */

interface QueueJson {
  QueueName: string;
  SqsManagedSseEnabled?: boolean;
  MessageRetentionPeriod?: number;
  VisibilityTimeout?: number;
  RedrivePolicy?: { deadLetterTargetArn: unknown; maxReceiveCount: number };
}

interface ScheduleJson {
  Name: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  FlexibleTimeWindow: { Mode: string };
  Target: {
    Arn: unknown;
    Input: string;
    RoleArn: unknown;
    DeadLetterConfig?: { Arn: unknown };
    RetryPolicy?: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
  };
}

function queue(json: CfnTemplate, name: string): [string, QueueJson] {
  const found = resourcesOfType(json, 'AWS::SQS::Queue').find(([, q]) => props(q)['QueueName'] === name);
  if (found === undefined) throw new Error(`no queue ${name}`);
  return [found[0], props<QueueJson>(found[1])];
}

describe.each(STAGES_UNDER_TEST)('the rollover fan-out of stage %s', (stage) => {
  let json: CfnTemplate;
  const name = (suffix: string): string => `ix-sequences-${stage}-${suffix}`;
  beforeAll(() => {
    json = synthStage(stage).json;
  });

  it('queues accounts on an encrypted, TLS-only queue kept 14 days, visible again after six worker timeouts, dead-lettered after 3 receives', () => {
    const [dlqId, dlq] = queue(json, name('rollover-queue-dlq'));
    const [, q] = queue(json, name('rollover-queue'));
    const worker = props<{ Timeout: number }>(json.Resources[functionLogicalId(json, name('rollover-worker'))]!);
    expect(worker.Timeout).toBe(150);
    expect(q).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400, VisibilityTimeout: 6 * 150 });
    expect(q.VisibilityTimeout).toBeGreaterThanOrEqual(6 * worker.Timeout);
    expect(q.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 3 });
    expect(dlq).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    const policies = resourcesOfType(json, 'AWS::SQS::QueuePolicy').map(([, p]) => JSON.stringify(props(p)));
    for (const id of [dlqId, queue(json, name('rollover-queue'))[0]]) {
      expect(
        policies.some((p) => p.includes(`"${id}"`) && p.includes('"aws:SecureTransport":"false"')),
        id,
      ).toBe(true);
    }
  });

  it('runs the worker from the queue, 16 accounts at once, one per invocation, reporting partial batch failures', () => {
    const [queueId] = queue(json, name('rollover-queue'));
    const worker = functionLogicalId(json, name('rollover-worker'));
    const mappings = resourcesOfType(json, 'AWS::Lambda::EventSourceMapping')
      .map(([, m]) =>
        props<{
          FunctionName: unknown;
          EventSourceArn: unknown;
          BatchSize: number;
          FunctionResponseTypes: string[];
          ScalingConfig?: { MaximumConcurrency: number };
        }>(m),
      )
      .filter((m) => refTarget(m.FunctionName) === worker);
    expect(mappings).toHaveLength(1);
    expect(refTarget(mappings[0]!.EventSourceArn)).toBe(queueId);
    expect(mappings[0]).toMatchObject({ BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 16 } });
    // Only the dispatchers send to it; the worker consumes.
    const senders = iamStatements(json)
      .filter(({ statement }) => JSON.stringify(statement.Resource).includes(`"${queueId}"`) && JSON.stringify(statement.Action).includes('sqs:SendMessage'))
      .map(({ owner }) => owner.replace(/RoleDefaultPolicy.*$/, ''))
      .sort();
    expect(senders).toEqual(['FunctionsRolloverDispatch', 'FunctionsRolloverDispatcher']);
  });

  it('dispatches the registered accounts in UTC: hourly prepares from 30 November, quarter-hourly activations and verifies over the year-end', () => {
    const dispatcher = functionLogicalId(json, name('rollover-dispatcher'));
    const [dlqId] = queue(json, name('rollover-dlq'));
    const schedules = resourcesOfType(json, 'AWS::Scheduler::Schedule')
      .map(([, s]) => props<ScheduleJson>(s))
      .filter((s) => refTarget(s.Target.Arn) === dispatcher);
    const expected: Record<string, [string[], string]> = {
      'dispatch-prepare-nov': [['prepare'], 'cron(0 * 30 11 ? *)'],
      'dispatch-prepare-dec': [['prepare'], 'cron(0 * * 12 ? *)'],
      'dispatch-year-end-dec': [['activate', 'verify'], 'cron(0/15 10-23 31 12 ? *)'],
      'dispatch-year-end-jan': [['activate', 'verify'], 'cron(0/15 0-21 1 1 ? *)'],
    };
    expect(schedules.map((s) => s.Name).sort()).toEqual(Object.keys(expected).map(name).sort());
    expect(DISPATCH_SCHEDULES.map((spec) => spec.name).sort()).toEqual(Object.keys(expected).sort());
    for (const [suffix, [phases, expression]] of Object.entries(expected)) {
      const s = schedules.find((x) => x.Name === name(suffix))!;
      expect(s.ScheduleExpression, suffix).toBe(expression);
      expect(s.ScheduleExpressionTimezone, suffix).toBe('Etc/UTC');
      expect(s.FlexibleTimeWindow.Mode, suffix).toBe('OFF');
      expect(JSON.parse(s.Target.Input), suffix).toEqual({ phases, scheduledTime: '<aws.scheduler.scheduled-time>', schedule: name(suffix) });
      // As the default account's schedules: Scheduler retries deliveries, then the rollover DLQ.
      expect(refTarget(s.Target.DeadLetterConfig?.Arn), suffix).toBe(dlqId);
      expect(s.Target.RetryPolicy, suffix).toEqual({ MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 });
    }
    // Its own role: invoke the dispatcher (unqualified) and dead-letter, nothing else.
    const roleId = refTarget(schedules[0]!.Target.RoleArn)!;
    expect(schedules.every((s) => refTarget(s.Target.RoleArn) === roleId)).toBe(true);
    const statements = iamStatements(json)
      .filter((x) => x.owner === roleId)
      .map((x) => x.statement);
    expect(statements).toEqual([
      expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [dispatcher, 'Arn'] } }),
      expect.objectContaining({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [dlqId, 'Arn'] } }),
    ]);
    // One dispatch at a time; a crash or timeout goes to the DLQ, not through Lambda's retries.
    expect(props(json.Resources[dispatcher]!)['ReservedConcurrentExecutions']).toBe(1);
    const invokeConfig = resourcesOfType(json, 'AWS::Lambda::EventInvokeConfig')
      .map(([, c]) => props(c))
      .filter((c) => refTarget(c['FunctionName']) === dispatcher);
    expect(invokeConfig).toEqual([
      expect.objectContaining({ MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } } }),
    ]);
  });

  it('covers every zone from UTC+14 to UTC-12 (their local year-end times, as UTC hours of the ticks)', () => {
    const hours = (suffix: string): number[] => {
      const spec = DISPATCH_SCHEDULES.find((s) => s.name === suffix)!;
      const [from, to] = spec.cron.hour.split('-').map(Number) as [number, number];
      return Array.from({ length: to - from + 1 }, (_, i) => from + i);
    };
    // Local 00:00-05:45 and 09:00 of 1 January, in UTC, on 31 December (offset > 0) or 1 January (offset <= 0).
    for (let offset = -12; offset <= 14; offset += 1) {
      for (const local of [0, 5, 9]) {
        const utc = local - offset;
        const [suffix, hour] = utc < 0 ? ['dispatch-year-end-dec', utc + 24] : ['dispatch-year-end-jan', utc];
        expect(hours(suffix), `UTC${offset >= 0 ? '+' : ''}${String(offset)} ${String(local)}:00`).toContain(hour);
      }
    }
  });

  it('publishes the year-end counts of a finished dispatch, and draws them in "Year-end across accounts"', () => {
    const filters = metricFilters(json).filter((f) => f.MetricTransformations[0]!.MetricName.startsWith('YearEnd'));
    const workerLogs = logGroupOf(json, name('rollover-worker'));
    const fromWorker = filters.filter((f) => refTarget(f.LogGroupName) === workerLogs);
    const line = {
      level: 'INFO',
      message: 'Rollover activate dispatch d1 done: year 2027',
      yearEnd: { year: 2027, phase: 'activate', dispatchId: 'd1', counts: { ready: 3, activated: 9_990, failed: 2, not_started: 5 } },
    };
    const published = Object.fromEntries(
      fromWorker
        .filter((f) => matchesFilter(f.FilterPattern, line))
        .map((f) => [f.MetricTransformations[0]!.MetricName, Number(select(line, f.MetricTransformations[0]!.MetricValue))]),
    );
    expect(published).toEqual({ YearEndReady: 3, YearEndActivated: 9_990, YearEndFailed: 2, YearEndNotStarted: 5 });
    // An account's run line publishes none of them.
    expect(
      fromWorker.filter((f) => matchesFilter(f.FilterPattern, { message: 'Rollover activate 2027: activated', rollover: { outcome: 'activated' } })),
    ).toEqual([]);
    const widget = dashboardWidgets(json).find((w) => w.properties.title === 'Year-end across accounts');
    expect(widget?.properties.metrics?.map((m) => m[1])).toEqual(['YearEndReady', 'YearEndActivated', 'YearEndFailed', 'YearEndNotStarted']);
  });

  it('alarms when an account lands in the dead-letter queue, and when accounts wait more than 30 minutes', () => {
    const alarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, a]) =>
      props<{ AlarmName: string; MetricName: string; Threshold: number; Dimensions: unknown }>(a),
    );
    const dlq = alarms.find((a) => a.AlarmName === name('rollover-queue-dlq-not-empty'))!;
    const age = alarms.find((a) => a.AlarmName === name('rollover-queue-oldest-message-age'))!;
    expect(dlq).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    expect(JSON.stringify(dlq.Dimensions)).toContain(queue(json, name('rollover-queue-dlq'))[0]);
    expect(age).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 1800 });
    expect(JSON.stringify(age.Dimensions)).toContain(`"${queue(json, name('rollover-queue'))[0]}"`);
  });

  it('lets the worker publish the dispatch summary to the alarm topic (and use its key through SNS only)', () => {
    const [topicId, topic] = resourcesOfType(json, 'AWS::SNS::Topic')[0]!;
    const keyId = refTarget(props(topic)['KmsMasterKeyId'])!;
    const publishers = iamStatements(json).filter(({ statement }) => JSON.stringify(statement.Action).includes('sns:Publish'));
    expect(publishers.map(({ owner }) => owner.replace(/RoleDefaultPolicy.*$/, ''))).toEqual(['FunctionsRolloverWorker']);
    expect(publishers[0]!.statement.Resource).toEqual({ Ref: topicId });
    const onKey = iamStatements(json).filter(
      ({ owner, statement }) => owner.startsWith('FunctionsRolloverWorker') && JSON.stringify(statement.Resource).includes(`"${keyId}"`),
    );
    expect(onKey).toHaveLength(1);
    expect(JSON.stringify(onKey[0]!.statement.Condition)).toContain('"sns."');
  });
});

describe('the worker settings of the stage config', () => {
  it('sets the event source from rolloverWorker', () => {
    const stages: Record<string, StageConfigInput> = { big: { invoiceXpressAccount: 'acme', rolloverWorker: { maxConcurrency: 200, batchSize: 5 } } };
    const { json } = synthStage('big', { stages });
    const worker = functionLogicalId(json, 'ix-sequences-big-rollover-worker');
    const mapping = resourcesOfType(json, 'AWS::Lambda::EventSourceMapping')
      .map(([, m]) => props(m))
      .find((m) => refTarget(m['FunctionName']) === worker);
    expect(mapping).toMatchObject({ BatchSize: 5, ScalingConfig: { MaximumConcurrency: 200 }, FunctionResponseTypes: ['ReportBatchItemFailures'] });
  });
});
