import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../shared/http/route-spec.ts';
import { API_STAGE_NAME } from '../names.ts';
import type { LogMetrics } from './log-metrics.ts';
import { ROLLOVER_OUTCOMES, ROLLOVER_PHASES, UPSTREAM_TROUBLE_KINDS, YEAR_END_COUNTS } from './log-metrics.ts';
import type { ServiceNotifications } from './notifications.ts';
import type { RolloverFanout } from './rollover-fanout.ts';

export interface ServiceDashboardProps {
  readonly prefix: string;
  readonly api: apigw.RestApi;
  readonly routes: readonly RouteSpec[];
  readonly logMetrics: LogMetrics;
  readonly deadLetterQueue: sqs.IQueue;
  readonly notifications: ServiceNotifications;
  readonly fanout: RolloverFanout;
  readonly deliveryFunction: lambda.IFunction;
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly lockHeldSeconds: number;
}

const WIDTH = 8;
const HEIGHT = 6;

/**
 * One dashboard per environment: the API per route (API Gateway's per-method metrics), what
 * InvoiceXpress is doing to us, the rollover (runs by outcome, readiness, lock, dead letters),
 * the registered accounts' year-end (statuses, the rollover queue) and the alarms' state.
 */
export class ServiceDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    const { logMetrics } = props;
    const fiveMinutes = Duration.minutes(5);
    const quarterHour = Duration.minutes(15);
    const perRoute = (metricName: string, statistic: string): cloudwatch.IMetric[] => routeMetrics(props, metricName, statistic);
    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({ title, left, width: WIDTH, height: HEIGHT, ...extra });

    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: props.prefix,
      defaultInterval: Duration.days(1),
      widgets: [
        [
          graph('Requests per route', perRoute('Count', 'Sum')),
          graph('Latency p50 per route (ms)', perRoute('Latency', 'p50')),
          graph('Latency p99 per route (ms)', perRoute('Latency', 'p99')),
        ],
        [
          graph('5XX answers per route', perRoute('5XXError', 'Sum')),
          graph('4XX answers per route', perRoute('4XXError', 'Sum')),
          graph(
            'InvoiceXpress failures by kind',
            UPSTREAM_TROUBLE_KINDS.map((kind) =>
              logMetrics.metric('UpstreamFailures', { dimensions: { kind }, statistic: 'Sum', period: fiveMinutes, label: kind }),
            ),
          ),
        ],
        [
          graph(
            'Rollover runs by outcome',
            ROLLOVER_OUTCOMES.map((outcome) =>
              logMetrics.metric('RolloverRuns', { dimensions: { outcome }, statistic: 'Sum', period: quarterHour, label: outcome }),
            ),
          ),
          graph(
            "Year's readiness (1 = ready, lowest per phase)",
            ROLLOVER_PHASES.map((phase) =>
              logMetrics.metric('RolloverReady', { dimensions: { phase }, statistic: 'Minimum', period: quarterHour, label: phase }),
            ),
            { leftYAxis: { min: 0, max: 1 } },
          ),
          graph('Rollover lock held (s, longest)', [logMetrics.metric('RolloverLockHeldSeconds', { statistic: 'Maximum', period: fiveMinutes })], {
            leftAnnotations: [{ value: props.lockHeldSeconds, label: 'alarm' }],
          }),
        ],
        notificationWidgets(props, graph),
        fanoutWidgets(props, graph),
        [
          graph('Rollover dead-letter queue (messages)', [
            props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: fiveMinutes }),
          ]),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: WIDTH * 2, height: HEIGHT }),
        ],
      ],
    });
  }
}

/** One API Gateway metric per route (the stage has per-method metrics enabled). */
function routeMetrics(props: ServiceDashboardProps, metricName: string, statistic: string): cloudwatch.IMetric[] {
  return props.routes.map(
    (route) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        statistic,
        period: Duration.minutes(5),
        label: `${route.method} ${route.path}`,
        dimensionsMap: { ApiName: props.api.restApiName, Stage: API_STAGE_NAME, Method: route.method, Resource: route.path },
      }),
  );
}

type Graph = (title: string, left: cloudwatch.IMetric[], extra?: Partial<cloudwatch.GraphWidgetProps>) => cloudwatch.GraphWidget;

/** A queue: what goes in, what waits and what is in flight, and its oldest message's age (right axis). */
function queueGraph(graph: Graph, title: string, queue: sqs.IQueue, labels: { sent: string; inFlight: string }): cloudwatch.GraphWidget {
  const period = Duration.minutes(5);
  return graph(
    title,
    [
      queue.metricNumberOfMessagesSent({ statistic: 'Sum', period, label: labels.sent }),
      queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period, label: 'waiting' }),
      queue.metricApproximateNumberOfMessagesNotVisible({ statistic: 'Maximum', period, label: labels.inFlight }),
    ],
    { right: [queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period, label: 'oldest (s)' })] },
  );
}

/** Notifications: what goes into the queue and how old its oldest message is, the delivery function, the dead letters. */
function notificationWidgets(props: ServiceDashboardProps, graph: Graph): cloudwatch.GraphWidget[] {
  const fiveMinutes = Duration.minutes(5);
  const { queue, deadLetterQueue } = props.notifications;
  return [
    queueGraph(graph, 'Notification queue (messages)', queue, { sent: 'sent', inFlight: 'in flight or waiting to retry' }),
    graph(
      'Webhook delivery function',
      [
        props.deliveryFunction.metricInvocations({ statistic: 'Sum', period: fiveMinutes }),
        props.deliveryFunction.metricErrors({ statistic: 'Sum', period: fiveMinutes }),
      ],
      { right: [props.deliveryFunction.metricDuration({ statistic: 'p99', period: fiveMinutes, label: 'duration p99 (ms)' })] },
    ),
    graph('Notification dead-letter queue (failed notifications)', [
      deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: fiveMinutes }),
    ]),
  ];
}

/** The registered accounts: where they stand (as of the last finished dispatch), the rollover queue, its dead letters. */
function fanoutWidgets(props: ServiceDashboardProps, graph: Graph): cloudwatch.GraphWidget[] {
  const fiveMinutes = Duration.minutes(5);
  const { queue, deadLetterQueue } = props.fanout;
  return [
    graph(
      'Year-end across accounts',
      YEAR_END_COUNTS.map(([status, metricName]) =>
        props.logMetrics.metric(metricName, { statistic: 'Maximum', period: Duration.minutes(15), label: status.replace('_', ' ') }),
      ),
      { leftYAxis: { min: 0 } },
    ),
    queueGraph(graph, 'Rollover queue (accounts)', queue, { sent: 'dispatched', inFlight: 'running' }),
    graph('Rollover queue dead letters (accounts)', [deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: fiveMinutes })]),
  ];
}
