import { App, Validations } from 'aws-cdk-lib';
import type { AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseGitHubOidcConfig } from './config.ts';
import { GitHubOidcStack } from './github-oidc-stack.ts';

/** The stack's name: one per account and region (docs/deploy.md, "The pipeline"). */
const GITHUB_OIDC_STACK_NAME = 'IxSequences-GitHubOidc';

/** The setup app: the stack for the context's repository and stages, checked by cdk-nag at synth. */
export function createGitHubOidcApp(appProps?: AppProps): { app: App; stack: GitHubOidcStack } {
  const app = new App(appProps);
  const config = parseGitHubOidcConfig({
    repository: app.node.tryGetContext('repository') as unknown,
    stages: app.node.tryGetContext('stages') as unknown,
    providerArn: app.node.tryGetContext('providerArn') as unknown,
    qualifier: app.node.tryGetContext('qualifier') as unknown,
  });
  const stack = new GitHubOidcStack(app, GITHUB_OIDC_STACK_NAME, {
    config,
    description: `ix-sequences pipeline: GitHub OIDC and the deploy, diff and smoke roles of ${config.repository} (${config.stages.join(', ')})`,
    terminationProtection: true,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
