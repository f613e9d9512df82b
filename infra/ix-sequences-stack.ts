import { CfnOutput, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ACCESS_LEVELS } from './access.ts';
import type { StageConfig } from './config.ts';
import { AccountSecrets } from './constructs/account-secrets.ts';
import { ServiceAlarms } from './constructs/alarms.ts';
import { ServiceApi } from './constructs/api.ts';
import { ServiceDashboard } from './constructs/dashboard.ts';
import { DispatchSchedules } from './constructs/dispatch-schedules.ts';
import { ServiceEventBus } from './constructs/event-bus.ts';
import { ServiceNotifications } from './constructs/notifications.ts';
import { ServiceFunctions } from './constructs/functions.ts';
import { LogMetrics } from './constructs/log-metrics.ts';
import { RolloverFanout } from './constructs/rollover-fanout.ts';
import { RolloverRunTable } from './constructs/run-table.ts';
import { RolloverSchedules } from './constructs/rollover-schedules.ts';
import { ServiceSecret } from './constructs/secret.ts';
import { SERVICE_NAME, pascalCase, resourcePrefix } from './names.ts';

export { FUNCTION_SPECS } from './constructs/function-specs.ts';

export interface IxSequencesStackProps extends StackProps {
  readonly config: StageConfig;
}

/** One environment of the service, composed of its parts (infra/constructs/). */
export class IxSequencesStack extends Stack {
  readonly secret: ServiceSecret;
  readonly accountSecrets: AccountSecrets;
  readonly fanout: RolloverFanout;
  readonly runTable: RolloverRunTable;
  readonly eventBus: ServiceEventBus;
  readonly notifications: ServiceNotifications;
  readonly functions: ServiceFunctions;
  readonly api: ServiceApi;
  readonly rollover: RolloverSchedules;
  readonly dispatchSchedules: DispatchSchedules;
  readonly logMetrics: LogMetrics;
  readonly alarms: ServiceAlarms;
  readonly dashboard: ServiceDashboard;

  constructor(scope: Construct, id: string, props: IxSequencesStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = resourcePrefix(config);
    const removalPolicy = config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    Tags.of(this).add('service', SERVICE_NAME);
    Tags.of(this).add('stage', config.stage);

    this.secret = new ServiceSecret(this, 'Secret', { config, removalPolicy });
    this.accountSecrets = new AccountSecrets(this, 'AccountSecrets', { config, removalPolicy });
    this.runTable = new RolloverRunTable(this, 'RunTable', { prefix, removalPolicy });
    this.eventBus = new ServiceEventBus(this, 'EventBus', { prefix, removalPolicy });
    this.notifications = new ServiceNotifications(this, 'Notifications', { config, prefix, bus: this.eventBus, removalPolicy });
    this.fanout = new RolloverFanout(this, 'Fanout', { config, prefix, removalPolicy });
    this.functions = new ServiceFunctions(this, 'Functions', {
      config,
      prefix,
      secret: this.secret,
      accountSecrets: this.accountSecrets,
      runTable: this.runTable,
      notifications: this.notifications,
      fanout: this.fanout,
      removalPolicy,
    });
    this.restrictSecrets();
    this.notifications.attachDelivery(this.functions.delivery.fn);
    this.api = new ServiceApi(this, 'Api', { config, prefix, functions: this.functions, removalPolicy });
    this.rollover = new RolloverSchedules(this, 'Rollover', {
      config,
      prefix,
      target: this.functions.get('rollover-scheduled').fn,
      removalPolicy,
    });
    this.dispatchSchedules = new DispatchSchedules(this, 'Dispatch', {
      prefix,
      target: this.functions.get('rollover-dispatcher').fn,
      deadLetterQueue: this.rollover.deadLetterQueue,
    });
    this.fanout.attachWorker(this.functions.get('rollover-worker').fn);
    this.logMetrics = new LogMetrics(this, 'LogMetrics', { prefix, namespace: `IxSequences/${config.stage}`, functions: this.functions });
    this.alarms = this.createAlarms(config, prefix, removalPolicy);
    this.functions.attachAlarmTopic(this.alarms.topic);
    this.dashboard = this.createDashboard(config, prefix);
    this.addOutputs(prefix);
  }

  /** Each secret's key denies decrypting to every role but those its functions' specs name (and the break-glass role). */
  private restrictSecrets(): void {
    const roles = (functions: readonly { fn: { role?: iam.IRole | undefined } }[]): iam.IRole[] =>
      functions.map((f) => f.fn.role).filter((role) => role !== undefined);
    this.secret.restrictDecryptTo(roles(this.functions.stageSecretReaders));
    this.accountSecrets.restrictDecryptTo(roles(this.functions.accountSecretDecrypters));
    this.notifications.restrictSecretTo(roles([this.functions.delivery]));
  }

  private createAlarms(config: StageConfig, prefix: string, removalPolicy: RemovalPolicy): ServiceAlarms {
    return new ServiceAlarms(this, 'Alarms', {
      config,
      prefix,
      stage: this.api.api.deploymentStage,
      deadLetterQueue: this.rollover.deadLetterQueue,
      notifications: this.notifications,
      fanout: this.fanout,
      logMetrics: this.logMetrics,
      removalPolicy,
    });
  }

  private createDashboard(config: StageConfig, prefix: string): ServiceDashboard {
    return new ServiceDashboard(this, 'Dashboard', {
      prefix,
      api: this.api.api,
      routes: this.functions.apiFunctions.flatMap((f) => f.routes),
      logMetrics: this.logMetrics,
      deadLetterQueue: this.rollover.deadLetterQueue,
      notifications: this.notifications,
      fanout: this.fanout,
      deliveryFunction: this.functions.delivery.fn,
      alarms: this.alarms.alarms,
      lockHeldSeconds: config.alarms.lockHeldSeconds,
    });
  }

  /** What operators and callers look up after a deploy. */
  private addOutputs(prefix: string): void {
    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the IAM-signed API (also in SSM, ApiUrlParameterName)' });
    new CfnOutput(this, 'ApiUrlParameterName', { value: this.api.urlParameter.parameterName, description: 'SSM parameter holding the API URL' });
    for (const level of ACCESS_LEVELS) {
      new CfnOutput(this, `Invoke${pascalCase(level)}PolicyArn`, {
        value: this.api.invokePolicies[level].managedPolicyArn,
        description: `Managed policy for same-account callers at level "${level}"`,
        exportName: `${prefix}-invoke-${level}-policy-arn`,
      });
    }
    new CfnOutput(this, 'SecretId', { value: this.secret.secretId, description: 'Secret holding {"accountName","apiKey"}' });
    new CfnOutput(this, 'WebhooksSecretId', {
      value: this.notifications.webhooksSecret.secretArn,
      description: 'Secret holding the webhook endpoints (a JSON array)',
    });
    new CfnOutput(this, 'EventBusName', {
      value: this.eventBus.bus.eventBusName,
      description: 'Custom event bus of the serie and rollover events (source ix-sequences)',
    });
    new CfnOutput(this, 'NotificationsDlqUrl', { value: this.notifications.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'RolloverTableName', { value: this.runTable.table.tableName, description: 'Rollover lock and run records' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'RolloverDlqUrl', { value: this.rollover.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'RolloverQueueUrl', {
      value: this.fanout.queue.queueUrl,
      description: "The registered accounts' rollover queue (one message per account and dispatch)",
    });
    new CfnOutput(this, 'RolloverQueueDlqUrl', { value: this.fanout.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AccountSecretsKeyArn', {
      value: this.accountSecrets.key.keyArn,
      description: "KMS key of the registered accounts' secrets (ix-sequences/<stage>/accounts/<account>)",
    });
    new CfnOutput(this, 'DashboardName', { value: prefix });
  }
}
