import { SERVICE_NAME } from '../names.ts';
import { stageNames } from '../config.ts';
import * as z from '../../shared/zod.ts';
import { issueLines } from '../../shared/zod-issues.ts';

/**
 * The one-time AWS setup of the GitHub Actions pipeline (.github/workflows/pipeline.yml), per AWS
 * account: which repository may use it and which environments (stages) are deployed into the
 * account. Given as CDK context (docs/deploy.md, "The pipeline"):
 *   -c repository=<owner>/<repo> -c stages=dev,staging [-c providerArn=<arn>] [-c qualifier=<q>]
 */

/** The roles the workflow assumes; their names are fixed so the workflow can build their ARNs. */
export const GITHUB_ROLE_NAMES = {
  /** `cdk deploy`: may only assume the CDK bootstrap roles. */
  deploy: `${SERVICE_NAME}-github-deploy`,
  /** `cdk diff`: may only assume the CDK bootstrap lookup role (read-only). */
  diff: `${SERVICE_NAME}-github-diff`,
  /** `npm run smoke`: GET routes of the API and read-only looks at the stage's schedules and alarms. */
  smoke: `${SERVICE_NAME}-github-smoke`,
} as const;

/** The GitHub environment of a stage's diff job (no reviewers: it only reads). */
export function diffEnvironment(stage: string): string {
  return `${stage}-diff`;
}

/** GitHub's OIDC issuer; its tokens are exchanged with `sts:AssumeRoleWithWebIdentity`. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

/** The CDK bootstrap stack's default qualifier (`cdk bootstrap --qualifier` changes it). */
const DEFAULT_BOOTSTRAP_QUALIFIER = 'hnb659fds';

const RepositorySchema = z.string().check(z.regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/, 'expected <owner>/<repo>, e.g. my-org/ix-sequences'));

const StageListSchema = z.pipe(
  z.pipe(
    z.string().check(z.minLength(1, 'name at least one stage (comma-separated), e.g. dev or staging,prod')),
    z.transform((list: string) => list.split(',').map((stage) => stage.trim())),
  ),
  z.array(z.string()).check(
    z.refine((stages) => new Set(stages).size === stages.length, 'a stage is listed twice'),
    z.refine((stages) => stages.every((stage) => stageNames().includes(stage)), `every stage must be one of infra/config.ts: ${stageNames().join(', ')}`),
  ),
);

const GitHubOidcConfigSchema = z.strictObject({
  repository: RepositorySchema,
  stages: StageListSchema,
  /** The account's GitHub OIDC provider when it already has one (IAM allows one per issuer URL). */
  providerArn: z.optional(z.string().check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/))),
  qualifier: z._default(
    z.string().check(z.regex(/^[a-z0-9]{1,10}$/, 'a bootstrap qualifier is up to 10 lowercase letters and digits')),
    DEFAULT_BOOTSTRAP_QUALIFIER,
  ),
});

export type GitHubOidcConfig = z.output<typeof GitHubOidcConfigSchema>;

export class GitHubOidcConfigError extends Error {
  override readonly name = 'GitHubOidcConfigError';
}

export function parseGitHubOidcConfig(raw: Record<string, unknown>): GitHubOidcConfig {
  const result = GitHubOidcConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = issueLines(result.error, { root: '(context)' });
    throw new GitHubOidcConfigError(`Invalid GitHub OIDC setup (-c repository=<owner>/<repo> -c stages=<a,b>): ${problems.join('; ')}`);
  }
  return result.data;
}
