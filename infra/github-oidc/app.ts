import { GitHubOidcConfigError } from './config.ts';
import { createGitHubOidcApp } from './create-app.ts';

// The setup app's entry (docs/deploy.md, "The pipeline"):
//   npx cdk deploy --app 'node infra/github-oidc/app.ts' -c repository=<owner>/<repo> -c stages=<a,b>
try {
  createGitHubOidcApp().app.synth();
} catch (error) {
  if (!(error instanceof GitHubOidcConfigError)) throw error;
  // A configuration mistake: the message names the field; a stack trace would only add noise.
  console.error(error.message);
  process.exit(1);
}
