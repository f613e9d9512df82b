import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { GitHubOidcConfigError, GITHUB_ROLE_NAMES } from '../../infra/github-oidc/config.ts';
import { createGitHubOidcApp } from '../../infra/github-oidc/create-app.ts';

/** The pipeline's one-time AWS setup (infra/github-oidc/): its template, trust and permissions. */

const REPOSITORY = 'my-org/ix-sequences';

function synth(context: Record<string, string>) {
  const { app, stack } = createGitHubOidcApp({ context: { repository: REPOSITORY, ...context } });
  app.synth();
  return { app, stack, template: Template.fromStack(stack) };
}

interface Statement {
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: Record<string, unknown>;
}
interface RoleProperties {
  AssumeRolePolicyDocument: { Statement: Statement[] };
  Policies?: { PolicyDocument: { Statement: Statement[] } }[];
  ManagedPolicyArns?: unknown;
}

function role(template: Template, roleName: string): RoleProperties {
  const found = Object.values(template.findResources('AWS::IAM::Role', { Properties: { RoleName: roleName } }));
  expect(found).toHaveLength(1);
  return (found[0] as { Properties: RoleProperties }).Properties;
}

const actionsOf = (properties: RoleProperties) =>
  (properties.Policies ?? []).flatMap((policy) => policy.PolicyDocument.Statement.flatMap((statement) => [statement.Action].flat()));
/** The role names a policy grants sts:AssumeRole on, from the joined ARN (`…:role/<name-prefix>`, account, region). */
const assumedRoles = (properties: RoleProperties) =>
  (properties.Policies ?? []).flatMap((policy) =>
    policy.PolicyDocument.Statement.flatMap((statement) => [statement.Resource].flat()).map((arn) => JSON.stringify(arn).match(/:role\/([a-z0-9-]+)-"/)?.[1]),
  );

describe('the GitHub OIDC setup stack', () => {
  const { app, template } = synth({ stages: 'dev,staging' });

  it("creates GitHub's OIDC provider, audience STS", () => {
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] });
    template.resourceCountIs('AWS::IAM::Role', 3);
  });

  it("trusts only this repository's environments: deploy and smoke the stages, diff the <stage>-diff ones", () => {
    const subjects = (environments: string[]) => environments.map((name) => `repo:${REPOSITORY}:environment:${name}`);
    for (const [name, environments] of [
      [GITHUB_ROLE_NAMES.deploy, ['dev', 'staging']],
      [GITHUB_ROLE_NAMES.smoke, ['dev', 'staging']],
      [GITHUB_ROLE_NAMES.diff, ['dev-diff', 'staging-diff']],
    ] as const) {
      const trust = role(template, name).AssumeRolePolicyDocument.Statement;
      expect(trust).toEqual([
        {
          Action: 'sts:AssumeRoleWithWebIdentity',
          Effect: 'Allow',
          Principal: { Federated: { Ref: expect.stringMatching(/^Provider/) as unknown } },
          Condition: {
            StringEquals: {
              'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
              'token.actions.githubusercontent.com:sub': subjects([...environments]),
            },
          },
        },
      ]);
    }
  });

  it('lets the deploy role only assume the CDK bootstrap roles, and the diff role only the lookup role', () => {
    const deploy = role(template, GITHUB_ROLE_NAMES.deploy);
    expect(actionsOf(deploy)).toEqual(['sts:AssumeRole']);
    expect(assumedRoles(deploy)).toEqual([
      'cdk-hnb659fds-deploy-role',
      'cdk-hnb659fds-file-publishing-role',
      'cdk-hnb659fds-image-publishing-role',
      'cdk-hnb659fds-lookup-role',
    ]);
    const diff = role(template, GITHUB_ROLE_NAMES.diff);
    expect(actionsOf(diff)).toEqual(['sts:AssumeRole']);
    expect(assumedRoles(diff)).toEqual(['cdk-hnb659fds-lookup-role']);
  });

  it('lets the smoke role only read, and no role has a managed policy', () => {
    const smoke = role(template, GITHUB_ROLE_NAMES.smoke);
    expect(new Set(actionsOf(smoke))).toEqual(
      new Set(['ssm:GetParameter', 'execute-api:Invoke', 'scheduler:GetSchedule', 'cloudwatch:DescribeAlarms', 'sns:ListSubscriptionsByTopic']),
    );
    expect(JSON.stringify(smoke.Policies)).toContain('/v1/GET/*');
    expect(JSON.stringify(smoke.Policies)).not.toMatch(/\/v1\/(PUT|POST|\*)/);
    template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('is cdk-nag clean', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    expect(report.success).toBe(true);
  });
});

describe('the setup configuration', () => {
  it("uses the account's existing provider when given its ARN", () => {
    const arn = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
    const { template } = synth({ stages: 'prod', providerArn: arn, qualifier: 'ixq1' });
    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    const deploy = role(template, GITHUB_ROLE_NAMES.deploy);
    expect(deploy.AssumeRolePolicyDocument.Statement[0]?.Principal).toEqual({ Federated: arn });
    expect(assumedRoles(deploy)).toContain('cdk-ixq1-deploy-role');
  });

  it.each([
    [{ stages: 'dev' }, { repository: 'not a repository' }, /repository: expected <owner>\/<repo>/],
    [{ stages: 'dev,qa' }, {}, /stages: every stage must be one of infra\/config.ts: dev, staging, prod/],
    [{ stages: 'dev,dev' }, {}, /stages: a stage is listed twice/],
    [{}, {}, /stages: /],
  ])('refuses %o %o', (stages, repository, message) => {
    expect(() => createGitHubOidcApp({ context: { repository: REPOSITORY, ...stages, ...repository } })).toThrow(GitHubOidcConfigError);
    expect(() => createGitHubOidcApp({ context: { repository: REPOSITORY, ...stages, ...repository } })).toThrow(message);
  });
});
