import { App, Validations } from 'aws-cdk-lib';
import type { AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_STAGE, STAGES, loadStageConfig } from './config.ts';
import type { StageConfig, StageConfigInput } from './config.ts';
import { IxSequencesStack } from './ix-sequences-stack.ts';

export interface CreateAppOptions {
  /** Passed to `new App()`; the CLI's `-c stage=<name>` arrives through the environment instead. */
  readonly appProps?: AppProps;
  /** The environments to choose from (default: infra/config.ts). Tests pass their own. */
  readonly stages?: Record<string, StageConfigInput>;
}

export interface CreatedApp {
  readonly app: App;
  readonly stack: IxSequencesStack;
  readonly config: StageConfig;
}

function stackName(stage: string): string {
  return `IxSequences-${stage}`;
}

/**
 * The app: one stack, for the stage named by the `stage` context value (default dev), checked by
 * cdk-nag's AwsSolutions pack at synth. cdk-nag 3 is a CDK policy-validation plugin rather than an
 * Aspect: any unacknowledged finding makes the synth fail (the CLI exits non-zero; in-process
 * `app.synth()` throws).
 */
export function createApp(options: CreateAppOptions = {}): CreatedApp {
  const app = new App(options.appProps);
  const requested: unknown = app.node.tryGetContext('stage');
  const stage = typeof requested === 'string' && requested !== '' ? requested : DEFAULT_STAGE;
  const config = loadStageConfig(stage, options.stages ?? STAGES);
  const stack = new IxSequencesStack(app, stackName(stage), {
    config,
    // Without account/region the template is environment-agnostic: synth needs no credentials.
    ...(config.account !== undefined || config.region !== undefined ? { env: { account: config.account, region: config.region } } : {}),
    description: `ix-sequences (${stage}): InvoiceXpress sequences API and yearly serie rollover`,
    terminationProtection: config.removalPolicy === 'retain',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
