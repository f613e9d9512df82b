import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ServiceFunction, ServiceFunctions } from './functions.ts';

const P = logs.FilterPattern;

/** Values of the `alarm` field on rollover log lines that must reach a person. */
const ROLLOVER_FAILED_ALARM = 'rollover_failed';
const SERIE_FALLBACK_ALARM = 'serie_fallback';

/** Dimension values the dashboard plots (the log lines carry these; others still get counted). */
export const ROLLOVER_OUTCOMES = ['ready', 'activated', 'already_done', 'failed', 'incomplete', 'skipped'] as const;
export const ROLLOVER_PHASES = ['prepare', 'activate', 'verify'] as const;
/** InvoiceXpress failure kinds that mean InvoiceXpress (or our access to it) is in trouble. */
export const UPSTREAM_TROUBLE_KINDS = ['upstream', 'rate_limited', 'timeout', 'deadline', 'network', 'unauthorized', 'malformed_response'] as const;

/** The year-end statuses a finished dispatch counts over the registered accounts (shared/rollover/year-end.ts), and their metrics. */
export const YEAR_END_COUNTS = [
  ['ready', 'YearEndReady'],
  ['activated', 'YearEndActivated'],
  ['failed', 'YearEndFailed'],
  ['not_started', 'YearEndNotStarted'],
] as const;

/**
 * A metric the functions' JSON log lines produce through metric filters. `source`: `requests`
 * (the one `request` line per API request, from every API function), `rollover` (the one line
 * per rollover run, and lock lines, from the functions that run rollovers), `fanout` (the line a
 * dispatch writes when its last account is done: `yearEnd.counts`, from the fan-out's functions).
 */
interface LogMetricSpec {
  /** Unique per filter; the metric name may be shared by several filters. */
  readonly id: string;
  readonly metricName: string;
  readonly source: 'requests' | 'rollover' | 'fanout';
  readonly pattern: logs.IFilterPattern;
  /** `1` to count lines, or a numeric field. */
  readonly value: string;
  /** Dimension name -> JSON field. */
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly unit?: cloudwatch.Unit;
}

const LOG_METRICS: readonly LogMetricSpec[] = [
  {
    // A request that failed because of InvoiceXpress, by failure kind (timeout, rate_limited, ...).
    id: 'UpstreamFailures',
    metricName: 'UpstreamFailures',
    source: 'requests',
    pattern: P.all(P.stringValue('$.message', '=', 'request'), P.exists('$.upstream.kind')),
    value: '1',
    dimensions: { kind: '$.upstream.kind' },
    unit: cloudwatch.Unit.COUNT,
  },
  {
    id: 'RolloverFailed',
    metricName: 'RolloverFailed',
    source: 'rollover',
    pattern: P.stringValue('$.alarm', '=', ROLLOVER_FAILED_ALARM),
    value: '1',
    unit: cloudwatch.Unit.COUNT,
  },
  {
    id: 'SerieFallback',
    metricName: 'SerieFallback',
    source: 'rollover',
    pattern: P.stringValue('$.alarm', '=', SERIE_FALLBACK_ALARM),
    value: '1',
    unit: cloudwatch.Unit.COUNT,
  },
  {
    // Real runs only: a dry run's outcome is what a real run would reach.
    id: 'RolloverRuns',
    metricName: 'RolloverRuns',
    source: 'rollover',
    pattern: P.all(P.exists('$.rollover.outcome'), P.booleanValue('$.rollover.dryRun', false)),
    value: '1',
    dimensions: { outcome: '$.rollover.outcome' },
    unit: cloudwatch.Unit.COUNT,
  },
  {
    // 1 when the year's serie is in place at the end of the run (registered; for activate and
    // verify also the default), else 0. Dry and skipped runs omit the field.
    id: 'RolloverReady',
    metricName: 'RolloverReady',
    source: 'rollover',
    pattern: P.all(P.numberValue('$.ready', '>=', 0), P.exists('$.rollover.phase')),
    value: '$.ready',
    dimensions: { phase: '$.rollover.phase' },
  },
  {
    // A run found the lock held by another run for this long.
    id: 'LockHeldByOther',
    metricName: 'RolloverLockHeldSeconds',
    source: 'rollover',
    pattern: P.numberValue('$.lock.heldSeconds', '>=', 0),
    value: '$.lock.heldSeconds',
    unit: cloudwatch.Unit.SECONDS,
  },
  {
    // A real run held the lock this long (on its run line).
    id: 'LockHeldByRun',
    metricName: 'RolloverLockHeldSeconds',
    source: 'rollover',
    pattern: P.numberValue('$.lockHeldSeconds', '>=', 0),
    value: '$.lockHeldSeconds',
    unit: cloudwatch.Unit.SECONDS,
  },
  // How many registered accounts stand where, as of the dispatch that just finished.
  ...YEAR_END_COUNTS.map(([status, metricName]): LogMetricSpec => ({
    id: metricName,
    metricName,
    source: 'fanout',
    pattern: P.numberValue(`$.yearEnd.counts.${status}`, '>=', 0),
    value: `$.yearEnd.counts.${status}`,
    unit: cloudwatch.Unit.COUNT,
  })),
];

export interface LogMetricsProps {
  readonly prefix: string;
  readonly namespace: string;
  readonly functions: ServiceFunctions;
}

/** The metric filters on the functions' log groups, and the metrics they publish. */
export class LogMetrics extends Construct {
  readonly namespace: string;
  readonly filters: readonly logs.MetricFilter[];

  constructor(scope: Construct, id: string, props: LogMetricsProps) {
    super(scope, id);
    this.namespace = props.namespace;
    const sources: Record<LogMetricSpec['source'], readonly ServiceFunction[]> = {
      requests: props.functions.apiFunctions,
      rollover: props.functions.rolloverRunners,
      fanout: props.functions.all.filter((f) => f.spec.fanout !== undefined),
    };
    this.filters = LOG_METRICS.flatMap((spec) =>
      sources[spec.source].map(
        ({ spec: fnSpec, fn, logGroup }) =>
          new logs.MetricFilter(this, `${fn.node.id}${spec.id}`, {
            logGroup,
            filterName: `${props.prefix}-${fnSpec.entry}-${spec.id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`,
            filterPattern: spec.pattern,
            metricNamespace: props.namespace,
            metricName: spec.metricName,
            metricValue: spec.value,
            ...(spec.dimensions !== undefined ? { dimensions: { ...spec.dimensions } } : {}),
            ...(spec.unit !== undefined ? { unit: spec.unit } : {}),
          }),
      ),
    );
  }

  /** A metric some filter publishes; its dimensions must be exactly that filter's. */
  metric(metricName: string, options: { dimensions?: Record<string, string>; statistic: string; period: Duration; label?: string }): cloudwatch.Metric {
    const dimensionNames = Object.keys(options.dimensions ?? {})
      .sort()
      .join(',');
    const published = LOG_METRICS.some(
      (spec) =>
        spec.metricName === metricName &&
        Object.keys(spec.dimensions ?? {})
          .sort()
          .join(',') === dimensionNames,
    );
    if (!published) throw new Error(`No log metric filter publishes ${metricName} with dimensions [${dimensionNames}]`);
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName,
      statistic: options.statistic,
      period: options.period,
      ...(options.dimensions !== undefined ? { dimensionsMap: options.dimensions } : {}),
      ...(options.label !== undefined ? { label: options.label } : {}),
    });
  }
}
