import { Duration } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../../shared/notifications/events.ts';

/** How long the archive keeps every event, for replays (issue 17: 30 days). */
export const EVENT_ARCHIVE_RETENTION_DAYS = 30;

export interface ServiceEventBusProps {
  readonly prefix: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The stage's custom event bus: every notification event is also put here (source
 * `ix-sequences`, detail-type the event type, detail its data) so AWS consumers subscribe with
 * rules of their own, and an archive of everything from our source so they can replay.
 */
export class ServiceEventBus extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: ServiceEventBusProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Resource', {
      eventBusName: props.prefix,
      description: `${props.prefix}: serie and rollover events (source ${EVENT_SOURCE})`,
    });
    this.bus.applyRemovalPolicy(props.removalPolicy);
    this.archive = this.bus.archive('Archive', {
      archiveName: `${props.prefix}-events`,
      description: `Every ${EVENT_SOURCE} event of ${props.prefix}, for replays`,
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(EVENT_ARCHIVE_RETENTION_DAYS),
    });
  }

  /** PutEvents on this bus only (the functions that publish events). */
  grantPut(grantee: iam.IGrantable): void {
    this.bus.grantPutEventsTo(grantee);
  }
}
