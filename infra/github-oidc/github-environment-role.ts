import type * as iam from 'aws-cdk-lib/aws-iam';
import { OpenIdConnectPrincipal, PolicyDocument, Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GITHUB_OIDC_HOST } from './config.ts';

export interface GitHubEnvironmentRoleProps {
  readonly roleName: string;
  readonly description: string;
  readonly provider: iam.IOidcProvider;
  /** `<owner>/<repo>`. */
  readonly repository: string;
  /** The GitHub environments whose jobs may assume the role. */
  readonly environments: readonly string[];
  readonly statements: readonly iam.PolicyStatement[];
}

/**
 * A role that jobs of one repository's named GitHub environments assume with their OIDC token,
 * and nothing else: the token's audience must be STS and its subject exactly
 * `repo:<owner>/<repo>:environment:<name>` (GitHub's default subject for a job in an environment;
 * a branch, a pull request or another repository has another subject).
 */
export class GitHubEnvironmentRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: GitHubEnvironmentRoleProps) {
    super(scope, id);
    this.role = new Role(this, 'Resource', {
      roleName: props.roleName,
      description: props.description,
      assumedBy: new OpenIdConnectPrincipal(props.provider, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com',
          [`${GITHUB_OIDC_HOST}:sub`]: props.environments.map((name) => `repo:${props.repository}:environment:${name}`),
        },
      }),
      inlinePolicies: { pipeline: new PolicyDocument({ statements: [...props.statements] }) },
    });
  }
}
