import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../infra/access.ts';
import type { StageConfigInput } from '../../infra/config.ts';
import { FUNCTION_SPECS } from '../../infra/ix-sequences-stack.ts';
import { matchesFilter, select } from './filter-pattern.ts';
import {
  STAGES_UNDER_TEST,
  dashboardWidgets,
  flatten,
  functionLogicalId,
  logGroupOf,
  metricFilters,
  props,
  refTarget,
  resourcesOfType,
  synthStage,
} from './support.ts';
import type { CfnTemplate, MetricFilterJson, Synthesized } from './support.ts';

/** The alarms, by name suffix: what the README and docs/deploy.md must list. */
const ALARM_SUFFIXES = [
  'rollover-failed',
  'serie-fallback',
  'rollover-dlq-not-empty',
  'api-5xx-rate',
  'rollover-lock-held-too-long',
  'rollover-incomplete-twice',
  'notifications-dlq-not-empty',
  'notifications-oldest-message-age',
  'rollover-queue-dlq-not-empty',
  'rollover-queue-oldest-message-age',
];

/** The logical id of the queue named `name`. */
function queueNamed(json: CfnTemplate, name: string): string {
  const found = resourcesOfType(json, 'AWS::SQS::Queue').find(([, q]) => props(q)['QueueName'] === name);
  if (found === undefined) throw new Error(`no queue ${name}`);
  return found[0];
}

interface AlarmJson {
  AlarmName: string;
  AlarmDescription: string;
  MetricName: string;
  Namespace: string;
  Statistic: string;
  Period: number;
  Threshold: number;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  ComparisonOperator: string;
  TreatMissingData: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
  Dimensions?: { Name: string; Value: unknown }[];
}

function alarms(json: CfnTemplate): AlarmJson[] {
  return resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, a]) => props<AlarmJson>(a));
}

/** Sample log lines in the shape the functions write (Powertools Logger, one JSON object per line). */
const base = { level: 'INFO', service: 'ix-sequences', timestamp: '2027-01-01T00:00:01.000Z' };
const LINES = {
  requestOk: { ...base, message: 'request', route: 'listSequences', method: 'GET', status: 200, durationMs: 12, requestId: 'r1' },
  requestRateLimited: {
    ...base,
    level: 'ERROR',
    message: 'request',
    route: 'createSequence',
    method: 'POST',
    status: 429,
    durationMs: 40,
    requestId: 'r2',
    upstream: { kind: 'rate_limited', status: 429, operation: 'create' },
  },
  runActivated: {
    ...base,
    message: 'Rollover activate 2027: activated',
    rollover: { runId: 'a', outcome: 'activated', phase: 'activate', year: 2027, serie: '2027', dryRun: false },
    trigger: 'schedule',
    caller: 'ix-sequences-dev-activate',
    ready: 1,
    lockHeldSeconds: 8.1,
  },
  runIncomplete: {
    ...base,
    message: 'Rollover activate 2027: incomplete',
    rollover: { runId: 'b', outcome: 'incomplete', phase: 'activate', year: 2027, serie: '2027', dryRun: false },
    trigger: 'schedule',
    ready: 0,
    lockHeldSeconds: 250,
  },
  verifyFailed: {
    ...base,
    level: 'ERROR',
    message: 'Rollover verify 2027 failed',
    rollover: { runId: 'c', outcome: 'failed', phase: 'verify', year: 2027, serie: '2027', dryRun: false },
    trigger: 'schedule',
    ready: 0,
    alarm: 'rollover_failed',
    lockHeldSeconds: 1.5,
  },
  dryRun: {
    ...base,
    message: 'Rollover activate 2027: activated',
    rollover: { runId: 'd', outcome: 'activated', phase: 'activate', year: 2027, serie: '2027', dryRun: true },
    trigger: 'api',
  },
  fallback: {
    ...base,
    message: "Rollover prepare 2028 used fallback serie '2028B'",
    rollover: { runId: 'e', outcome: 'ready', phase: 'prepare', year: 2028, serie: '2028B', dryRun: false },
    trigger: 'schedule',
    ready: 1,
    alarm: 'serie_fallback',
  },
  lockHeld: { ...base, message: 'Rollover lock held by another run', lock: { heldSeconds: 12.3, holderRunId: 'a', year: 2027 } },
} satisfies Record<string, Record<string, unknown>>;

/** What one log line publishes through a set of filters: "Metric{dim=value}" -> value. */
function published(filters: readonly MetricFilterJson[], line: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of filters) {
    if (!matchesFilter(f.FilterPattern, line)) continue;
    const t = f.MetricTransformations[0]!;
    const dims = (t.Dimensions ?? []).map((d) => `${d.Key}=${String(select(line, d.Value))}`).join(',');
    const value = t.MetricValue.startsWith('$.') ? Number(select(line, t.MetricValue)) : Number(t.MetricValue);
    out[`${t.MetricName}${dims === '' ? '' : `{${dims}}`}`] = value;
  }
  return out;
}

describe.each(STAGES_UNDER_TEST)('observability of stage %s', (stage) => {
  let s: Synthesized;
  let json: CfnTemplate;
  const namespace = `IxSequences/${stage}`;
  const fnName = (entry: string): string => `ix-sequences-${stage}-${entry}`;

  beforeAll(() => {
    s = synthStage(stage);
    json = s.json;
  });

  it('has exactly the alarms worth waking for, each notifying the topic when it fires and when it clears', () => {
    const topicId = resourcesOfType(json, 'AWS::SNS::Topic')[0]![0];
    const found = alarms(json);
    expect(found.map((a) => a.AlarmName).sort()).toEqual(ALARM_SUFFIXES.map((x) => `ix-sequences-${stage}-${x}`).sort());
    for (const a of found) {
      expect(a.AlarmActions.map(refTarget), a.AlarmName).toEqual([topicId]);
      expect(a.OKActions.map(refTarget), a.AlarmName).toEqual([topicId]);
      expect(a.TreatMissingData, a.AlarmName).toBe('notBreaching');
      expect(a.AlarmDescription, a.AlarmName).toContain('What to do:');
      expect(a.AlarmDescription, a.AlarmName).toContain('docs/deploy.md');
      expect(a.AlarmDescription.length, a.AlarmName).toBeLessThanOrEqual(1024);
    }
    // One notification per incident: no Lambda Errors alarms (a failed run is one log line).
    expect(found.filter((a) => a.Namespace === 'AWS/Lambda')).toEqual([]);
  });

  it('alarms on the API 5XX rate over several periods, not on one error', () => {
    const [api5xx] = alarms(json).filter((a) => a.AlarmName.endsWith('-api-5xx-rate'));
    expect(api5xx).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Statistic: 'Average', Period: 300, Threshold: 0.05 });
    expect(api5xx!.EvaluationPeriods).toBeGreaterThanOrEqual(2);
    expect(api5xx!.DatapointsToAlarm).toBe(api5xx!.EvaluationPeriods);
    const restApi = resourcesOfType(json, 'AWS::ApiGateway::RestApi')[0]!;
    expect(api5xx!.Dimensions?.map((d) => [d.Name, flatten(d.Value)])).toEqual(
      expect.arrayContaining([
        ['ApiName', props(restApi[1])['Name']],
        ['Stage', expect.stringMatching(/^<Ref:ApiDeploymentStagev1/) as unknown],
      ]),
    );
  });

  it('alarms on runs incomplete in two consecutive 15-minute periods, and on a lock held over 240 s', () => {
    const byName = Object.fromEntries(alarms(json).map((a) => [a.AlarmName.replace(`ix-sequences-${stage}-`, ''), a]));
    expect(byName['rollover-incomplete-twice']).toMatchObject({
      Namespace: namespace,
      MetricName: 'RolloverRuns',
      Dimensions: [{ Name: 'outcome', Value: 'incomplete' }],
      Statistic: 'Sum',
      Period: 900,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
    });
    expect(byName['rollover-lock-held-too-long']).toMatchObject({
      Namespace: namespace,
      MetricName: 'RolloverLockHeldSeconds',
      Statistic: 'Maximum',
      Threshold: 240,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(byName['rollover-failed']).toMatchObject({ Namespace: namespace, MetricName: 'RolloverFailed', Threshold: 1, EvaluationPeriods: 1 });
    const dlqId = queueNamed(json, `ix-sequences-${stage}-rollover-dlq`);
    expect(byName['rollover-dlq-not-empty']).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    expect(JSON.stringify(byName['rollover-dlq-not-empty']!.Dimensions)).toContain(dlqId);
  });

  it('alarms on a notification in the dead-letter queue, and on a queue whose oldest message outlived the whole schedule', () => {
    const byName = Object.fromEntries(alarms(json).map((a) => [a.AlarmName.replace(`ix-sequences-${stage}-`, ''), a]));
    const dlq = queueNamed(json, `ix-sequences-${stage}-notifications-dlq`);
    const queue = queueNamed(json, `ix-sequences-${stage}-notifications`);
    expect(byName['notifications-dlq-not-empty']).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      EvaluationPeriods: 1,
    });
    expect(JSON.stringify(byName['notifications-dlq-not-empty']!.Dimensions)).toContain(dlq);
    // Longer than the 4-day schedule (a message lives through its retries), several periods in a row.
    expect(byName['notifications-oldest-message-age']).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Threshold: 100 * 3600,
      EvaluationPeriods: 3,
    });
    expect(JSON.stringify(byName['notifications-oldest-message-age']!.Dimensions)).toContain(queue);
    expect(byName['notifications-oldest-message-age']!.Threshold).toBeGreaterThan(4 * 24 * 3600);
  });

  it('every alarm on a log metric has a metric filter publishing it with the same dimensions', () => {
    const filters = metricFilters(json);
    for (const a of alarms(json).filter((x) => x.Namespace === namespace)) {
      const dims = (a.Dimensions ?? []).map((d) => d.Name).sort();
      const publishing = filters.filter((f) => {
        const t = f.MetricTransformations[0]!;
        return (
          t.MetricNamespace === namespace &&
          t.MetricName === a.MetricName &&
          (t.Dimensions ?? [])
            .map((d) => d.Key)
            .sort()
            .join() === dims.join()
        );
      });
      expect(publishing.length, a.AlarmName).toBeGreaterThan(0);
    }
  });

  it('reads request lines from every API function and run lines from the functions that run rollovers', () => {
    const filters = metricFilters(json);
    const logGroupsOf = (metricName: string): (string | undefined)[] =>
      filters
        .filter((f) => f.MetricTransformations[0]!.MetricName === metricName)
        .map((f) => refTarget(f.LogGroupName))
        .sort();
    const apiEntries = [...new Set(apiRoutes().map((r) => r.entry))];
    expect(logGroupsOf('UpstreamFailures')).toEqual(apiEntries.map((e) => logGroupOf(json, fnName(e))).sort());
    const runners = FUNCTION_SPECS.filter((f) => f.runTable === 'write').map((f) => f.entry);
    expect(runners.sort()).toEqual(['rollover-run', 'rollover-scheduled', 'rollover-worker']);
    for (const metric of ['RolloverFailed', 'SerieFallback', 'RolloverRuns', 'RolloverReady']) {
      expect(logGroupsOf(metric), metric).toEqual(runners.map((e) => logGroupOf(json, fnName(e))).sort());
    }
    for (const f of filters) expect(f.MetricTransformations[0]!.MetricNamespace).toBe(namespace);
  });

  it('turns the log lines of the interface into the right metrics', () => {
    const filters = metricFilters(json);
    const scheduledLogs = logGroupOf(json, fnName('rollover-scheduled'));
    const apiLogs = logGroupOf(json, fnName('create-sequence'));
    const runner = filters.filter((f) => refTarget(f.LogGroupName) === scheduledLogs);
    const api = filters.filter((f) => refTarget(f.LogGroupName) === apiLogs);

    expect(published(api, LINES.requestOk)).toEqual({});
    expect(published(api, LINES.requestRateLimited)).toEqual({ 'UpstreamFailures{kind=rate_limited}': 1 });
    expect(published(runner, LINES.runActivated)).toEqual({
      'RolloverRuns{outcome=activated}': 1,
      'RolloverReady{phase=activate}': 1,
      RolloverLockHeldSeconds: 8.1,
    });
    expect(published(runner, LINES.runIncomplete)).toEqual({
      'RolloverRuns{outcome=incomplete}': 1,
      'RolloverReady{phase=activate}': 0,
      RolloverLockHeldSeconds: 250,
    });
    expect(published(runner, LINES.verifyFailed)).toEqual({
      RolloverFailed: 1,
      'RolloverRuns{outcome=failed}': 1,
      'RolloverReady{phase=verify}': 0,
      RolloverLockHeldSeconds: 1.5,
    });
    // A dry run counts for nothing: its outcome is what a real run would reach.
    expect(published(runner, LINES.dryRun)).toEqual({});
    expect(published(runner, LINES.fallback)).toEqual({ SerieFallback: 1, 'RolloverRuns{outcome=ready}': 1, 'RolloverReady{phase=prepare}': 1 });
    expect(published(runner, LINES.lockHeld)).toEqual({ RolloverLockHeldSeconds: 12.3 });
  });

  it('draws only metrics that exist: API Gateway per-method metrics of this API, this queue, or a metric filter', () => {
    const widgets = dashboardWidgets(json);
    const restApiName = props(resourcesOfType(json, 'AWS::ApiGateway::RestApi')[0]![1])['Name'];
    const stageName = props(resourcesOfType(json, 'AWS::ApiGateway::Stage')[0]![1])['StageName'];
    const methods = new Set(apiRoutes().map((r) => `${r.method} ${r.path}`));
    const queueIds = resourcesOfType(json, 'AWS::SQS::Queue').map(([id]) => `<GetAtt:${id}.QueueName>`);
    const deliveryName = `ix-sequences-${stage}-notification-delivery`;
    const filters = metricFilters(json);
    const alarmIds = new Set(resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([id]) => id));
    let metricCount = 0;
    for (const widget of widgets) {
      if (widget.properties.alarms !== undefined) {
        for (const alarm of widget.properties.alarms) expect(alarm).toMatch(/^<GetAtt:(\w+)\.Arn>$/);
        expect(widget.properties.alarms.map((a) => /^<GetAtt:(\w+)\.Arn>$/.exec(a)?.[1]).every((id) => alarmIds.has(id!))).toBe(true);
        continue;
      }
      for (const metric of widget.properties.metrics ?? []) {
        metricCount += 1;
        const [namespace, name, ...rest] = metric.filter((m) => typeof m === 'string');
        const dims = Object.fromEntries(Array.from({ length: rest.length / 2 }, (_, i) => [rest[2 * i]!, rest[2 * i + 1]!]));
        const where = `${widget.properties.title}: ${namespace}/${name} ${JSON.stringify(dims)}`;
        if (namespace === 'AWS/ApiGateway') {
          expect(['Count', 'Latency', '4XXError', '5XXError'], where).toContain(name);
          expect(dims, where).toEqual({
            ApiName: restApiName,
            Stage: stageName,
            Method: expect.any(String) as unknown,
            Resource: expect.any(String) as unknown,
          });
          expect(methods.has(`${dims['Method']} ${dims['Resource']}`), where).toBe(true);
        } else if (namespace === 'AWS/SQS') {
          expect(Object.keys(dims), where).toEqual(['QueueName']);
          expect(queueIds, where).toContain(dims['QueueName']);
        } else if (namespace === 'AWS/Lambda') {
          expect(dims, where).toEqual({ FunctionName: `<Ref:${functionLogicalId(json, deliveryName)}>` });
        } else {
          expect(namespace, where).toBe(`IxSequences/${stage}`);
          const publishing = filters.filter((f) => {
            const t = f.MetricTransformations[0]!;
            return (
              t.MetricNamespace === namespace &&
              t.MetricName === name &&
              (t.Dimensions ?? [])
                .map((d) => d.Key)
                .sort()
                .join() === Object.keys(dims).sort().join()
            );
          });
          expect(publishing.length, where).toBeGreaterThan(0);
        }
      }
    }
    expect(metricCount).toBeGreaterThan(20);
  });

  it('shows requests, p50 and p99 latency and errors for every route, and the rollover, InvoiceXpress and DLQ panels', () => {
    const widgets = dashboardWidgets(json);
    const drawn = (metricName: string, stat: string): string[] =>
      widgets
        .flatMap((w) => w.properties.metrics ?? [])
        .filter((m) => m[0] === 'AWS/ApiGateway' && m[1] === metricName && (m.at(-1) as { stat?: string }).stat === stat)
        .map((m) => `${String(m[m.indexOf('Method') + 1])} ${String(m[m.indexOf('Resource') + 1])}`)
        .sort();
    const every = apiRoutes()
      .map((r) => `${r.method} ${r.path}`)
      .sort();
    expect(drawn('Count', 'Sum')).toEqual(every);
    expect(drawn('Latency', 'p50')).toEqual(every);
    expect(drawn('Latency', 'p99')).toEqual(every);
    expect(drawn('5XXError', 'Sum')).toEqual(every);
    const custom = widgets
      .flatMap((w) => w.properties.metrics ?? [])
      .filter((m) => m[0] === namespace)
      .map((m) => m.slice(1, 4).join(' '));
    expect(custom).toEqual(
      expect.arrayContaining([
        'UpstreamFailures kind rate_limited',
        'UpstreamFailures kind timeout',
        'UpstreamFailures kind upstream',
        'RolloverRuns outcome incomplete',
        'RolloverRuns outcome failed',
        'RolloverReady phase verify',
      ]),
    );
    expect(widgets.some((w) => (w.properties.metrics ?? []).some((m) => m[0] === 'AWS/SQS'))).toBe(true);
    expect(resourcesOfType(json, 'AWS::CloudWatch::Dashboard').map(([, d]) => props(d)['DashboardName'])).toEqual([`ix-sequences-${stage}`]);
  });

  it(stage === 'prod' ? 'warns at synth that nobody is subscribed to its alarms' : 'does not warn about alarm subscriptions', () => {
    const warnings = Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('nobody is subscribed'));
    expect(warnings).toHaveLength(stage === 'prod' ? 1 : 0);
    expect(resourcesOfType(json, 'AWS::SNS::Subscription')).toEqual([]);
  });
});

describe('alarm subscriptions and thresholds from the stage config', () => {
  const STAGES: Record<string, StageConfigInput> = {
    paged: {
      invoiceXpressAccount: 'acme',
      alarms: {
        expectSubscription: true,
        emails: ['ops@example.com', 'oncall@example.com'],
        topicArns: ['arn:aws:sns:eu-west-1:123456789012:pager'],
        api5xxRatePercent: 10,
        api5xxPeriods: 4,
        lockHeldSeconds: 120,
      },
    },
    topiconly: { invoiceXpressAccount: 'acme', alarms: { expectSubscription: true, topicArns: ['arn:aws:sns:eu-west-1:123456789012:pager'] } },
  };

  it('subscribes the e-mails, sends every alarm and OK to the existing topic too, and applies the thresholds', () => {
    const s = synthStage('paged', { stages: STAGES });
    const topicId = resourcesOfType(s.json, 'AWS::SNS::Topic')[0]![0];
    const subscriptions = resourcesOfType(s.json, 'AWS::SNS::Subscription').map(([, x]) => props(x));
    expect(subscriptions.map((x) => [x['Protocol'], x['Endpoint'], refTarget(x['TopicArn'])])).toEqual([
      ['email', 'ops@example.com', topicId],
      ['email', 'oncall@example.com', topicId],
    ]);
    const found = alarms(s.json);
    for (const a of found) {
      expect(
        a.AlarmActions.map((x) => refTarget(x) ?? x),
        a.AlarmName,
      ).toEqual([topicId, 'arn:aws:sns:eu-west-1:123456789012:pager']);
      expect(
        a.OKActions.map((x) => refTarget(x) ?? x),
        a.AlarmName,
      ).toEqual([topicId, 'arn:aws:sns:eu-west-1:123456789012:pager']);
    }
    expect(found.find((a) => a.AlarmName.endsWith('api-5xx-rate'))).toMatchObject({ Threshold: 0.1, EvaluationPeriods: 4, DatapointsToAlarm: 4 });
    expect(found.find((a) => a.AlarmName.endsWith('lock-held-too-long'))).toMatchObject({ Threshold: 120 });
    expect(Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('alarms'))).toEqual([]);
  });

  it('counts an existing topic as a subscription (no warning)', () => {
    const s = synthStage('topiconly', { stages: STAGES });
    expect(Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('alarms'))).toEqual([]);
    expect(functionLogicalId(s.json, 'ix-sequences-topiconly-rollover-scheduled')).toBeDefined();
  });
});
