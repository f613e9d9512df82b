import { parseArgs } from 'node:util';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createIxSequencesClient } from '../client/index.ts';
import { loadStageConfig, StageConfigError } from '../infra/config.ts';
import { ROLLOVER_SCHEDULES } from '../infra/constructs/rollover-schedules.ts';
import { DISPATCH_SCHEDULES } from '../shared/fanout/due.ts';
import { SERVICE_NAME } from '../infra/names.ts';
import { DEFAULT_TIME_ZONE, yearIn } from '../shared/rollover/time.ts';
import { alarmsCheck, apiAnswersCheck, listSequencesCheck, rolloverReadinessCheck, runChecks, schedulesCheck } from './smoke-checks.ts';
import type { SmokeCheck } from './smoke-checks.ts';

/**
 * `npm run smoke -- --stage <name>` or `--url <base URL>`: read-only checks of a deployed stage,
 * one line each. The API is called through the caller client (client/), signed with the default
 * AWS credentials, on GET routes only. With --stage the URL comes from the SSM parameter
 * `/ix-sequences/<stage>/api-url`, and the stage's schedules and alarms are checked too.
 * Exit codes: 0 every check passed, 1 a check failed (named on the last line), 2 bad usage.
 */

const USAGE = `Usage: npm run smoke -- --stage <name> [--region <region>]
       npm run smoke -- --url <base URL> [--region <region>]

Read-only checks of a deployed ix-sequences stage (nothing is changed):
  api answers              a GET the gateway, IAM and a function answer without InvoiceXpress
  GET /sequences           the secret is readable and InvoiceXpress accepts the account and key
  GET /rollover/<year>     the coming year's readiness (reported; not judged)
  schedules enabled        the rollover schedules exist and are enabled     (--stage only)
  alarms have subscribers  every alarm reaches a confirmed subscriber       (--stage only)

Signed with the default AWS credential chain. --stage reads the API URL from the SSM parameter
/ix-sequences/<stage>/api-url. The region: --region, else the stage's configured one, else AWS_REGION.`;

const CALL_TIMEOUT_MS = 10_000;

class UsageError extends Error {}

interface Target {
  readonly url: string;
  readonly region: string | undefined;
  readonly timeZone: string;
  readonly stageChecks: readonly SmokeCheck[];
}

function parseCommandLine(argv: string[]): { stage?: string; url?: string; region?: string; help: boolean } {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { stage: { type: 'string' }, url: { type: 'string' }, region: { type: 'string' }, help: { type: 'boolean', default: false } },
      strict: true,
    });
    if (!values.help && (values.stage === undefined) === (values.url === undefined)) throw new UsageError('give exactly one of --stage and --url');
    return values;
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** --stage: the URL from SSM, and the schedule and alarm checks of that stage. */
async function stageTarget(stage: string, regionOption: string | undefined): Promise<Target> {
  const config = loadStageConfig(stage);
  const region = regionOption ?? config.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
  const aws = { region };
  const parameterName = `/${SERVICE_NAME}/${stage}/api-url`;
  const parameter = await new SSMClient(aws).send(new GetParameterCommand({ Name: parameterName })).catch((error: unknown) => {
    throw new Error(`cannot read the SSM parameter ${parameterName}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  });
  const url = parameter.Parameter?.Value;
  if (url === undefined || url === '') throw new Error(`the SSM parameter ${parameterName} is empty`);
  const prefix = `${SERVICE_NAME}-${stage}-`;
  return {
    url,
    region,
    timeZone: config.scheduleTimeZone,
    stageChecks: [
      schedulesCheck(
        new SchedulerClient(aws),
        // The default account's five, and the registered accounts' dispatch ticks.
        [...ROLLOVER_SCHEDULES, ...DISPATCH_SCHEDULES].map((spec) => `${prefix}${spec.name}`),
      ),
      alarmsCheck(new CloudWatchClient(aws), new SNSClient(aws), { prefix, expectSubscription: config.alarms.expectSubscription }),
    ],
  };
}

async function main(): Promise<number> {
  const options = parseCommandLine(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const target: Target =
    options.stage !== undefined
      ? await stageTarget(options.stage, options.region)
      : { url: options.url ?? '', region: options.region, timeZone: DEFAULT_TIME_ZONE, stageChecks: [] };
  const ix = createIxSequencesClient({ baseUrl: target.url, region: target.region, timeoutMs: CALL_TIMEOUT_MS, retries: 1 });
  const comingYear = yearIn(new Date(), target.timeZone) + 1;
  console.log(`smoke ${target.url}`);
  const results = await runChecks([apiAnswersCheck(ix), listSequencesCheck(ix), rolloverReadinessCheck(ix, comingYear), ...target.stageChecks]);
  for (const result of results) console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${result.name.padEnd(24)} ${result.detail}`);
  const failed = results.filter((result) => !result.ok).map((result) => result.name);
  if (failed.length > 0) {
    console.log(`smoke FAILED: ${failed.join(', ')}`);
    return 1;
  }
  console.log(`smoke passed: ${String(results.length)} checks`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`npm run smoke: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    // A stage that is not configured, or whose URL cannot be found: one line, no stack.
    const message = error instanceof StageConfigError || error instanceof Error ? error.message : String(error);
    console.error(`smoke FAILED: ${message}`);
    process.exitCode = 1;
  },
);
