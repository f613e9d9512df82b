import { Aws, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { loadStageConfig } from '../config.ts';
import { ROLLOVER_SCHEDULES } from '../constructs/rollover-schedules.ts';
import { API_STAGE_NAME, SERVICE_NAME } from '../names.ts';
import { diffEnvironment, GITHUB_OIDC_HOST, GITHUB_ROLE_NAMES } from './config.ts';
import type { GitHubOidcConfig } from './config.ts';
import { GitHubEnvironmentRole } from './github-environment-role.ts';

export interface GitHubOidcStackProps extends StackProps {
  readonly config: GitHubOidcConfig;
}

/**
 * The one-time AWS setup of the pipeline in one account and region: GitHub's OIDC provider (or the
 * account's existing one), and three roles for this repository's environments. The deploy role can
 * do nothing itself but assume the CDK bootstrap roles (which hold the deployment rights); the diff
 * role only the bootstrap lookup role (read-only); the smoke role only reads the stages.
 */
export class GitHubOidcStack extends Stack {
  readonly provider: iam.IOidcProvider;
  readonly deployRole: iam.Role;
  readonly diffRole: iam.Role;
  readonly smokeRole: iam.Role;

  constructor(scope: Construct, id: string, props: GitHubOidcStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.provider =
      config.providerArn !== undefined
        ? iam.OidcProviderNative.fromOidcProviderArn(this, 'Provider', config.providerArn)
        : new iam.OidcProviderNative(this, 'Provider', { url: `https://${GITHUB_OIDC_HOST}`, clientIds: ['sts.amazonaws.com'] });
    const common = { provider: this.provider, repository: config.repository };

    const bootstrapRole = (kind: string) =>
      `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-${config.qualifier}-${kind}-role-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
    this.deployRole = new GitHubEnvironmentRole(this, 'DeployRole', {
      ...common,
      roleName: GITHUB_ROLE_NAMES.deploy,
      description: `${config.repository} GitHub Actions: cdk deploy of ${config.stages.join(', ')} (through the CDK bootstrap roles only)`,
      environments: config.stages,
      statements: [
        new iam.PolicyStatement({
          actions: ['sts:AssumeRole'],
          resources: ['deploy', 'file-publishing', 'image-publishing', 'lookup'].map(bootstrapRole),
        }),
      ],
    }).role;

    this.diffRole = new GitHubEnvironmentRole(this, 'DiffRole', {
      ...common,
      roleName: GITHUB_ROLE_NAMES.diff,
      description: `${config.repository} GitHub Actions: cdk diff of ${config.stages.join(', ')} (the read-only CDK lookup role only)`,
      environments: config.stages.map(diffEnvironment),
      statements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [bootstrapRole('lookup')] })],
    }).role;

    this.smokeRole = new GitHubEnvironmentRole(this, 'SmokeRole', {
      ...common,
      roleName: GITHUB_ROLE_NAMES.smoke,
      description: `${config.repository} GitHub Actions: npm run smoke of ${config.stages.join(', ')} (reads only)`,
      environments: config.stages,
      statements: config.stages.flatMap((stage) => smokeStatements(stage)),
    }).role;
    Validations.of(this.smokeRole).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:*/v1/GET/*]',
        reason:
          "The smoke test calls GET routes of the stages' APIs, whose ids exist only after their deploys: read routes only (v1/GET), of this account and region.",
      },
      ...config.stages.map((stage) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:${SERVICE_NAME}-${stage}-*]`,
        reason: `The smoke test describes the ${stage} stage's alarms by their name prefix (the set of alarms grows with the stack); DescribeAlarms only reads.`,
      })),
    );
  }
}

/** What `npm run smoke -- --stage <stage>` reads (local/smoke.ts), and nothing more. */
function smokeStatements(stage: string): iam.PolicyStatement[] {
  const prefix = `${SERVICE_NAME}-${stage}`;
  const inRegion = (service: string, resource: string) => `arn:${Aws.PARTITION}:${service}:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
  const alarmTopics = [inRegion('sns', `${prefix}-alarms`), ...loadStageConfig(stage).alarms.topicArns];
  return [
    new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [inRegion('ssm', `parameter/${SERVICE_NAME}/${stage}/api-url`)] }),
    new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: [inRegion('execute-api', `*/${API_STAGE_NAME}/GET/*`)] }),
    new iam.PolicyStatement({
      actions: ['scheduler:GetSchedule'],
      resources: ROLLOVER_SCHEDULES.map((spec) => inRegion('scheduler', `schedule/default/${prefix}-${spec.name}`)),
    }),
    new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [inRegion('cloudwatch', `alarm:${prefix}-*`)] }),
    new iam.PolicyStatement({ actions: ['sns:ListSubscriptionsByTopic'], resources: alarmTopics }),
  ];
}
