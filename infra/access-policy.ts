import { parseArgs } from 'node:util';
import { ACCESS_LEVELS, ACCOUNT_PATTERN, invokePolicyDocument } from './access.ts';
import type { AccessLevel } from './access.ts';
import { STAGES, StageConfigError, loadStageConfig } from './config.ts';
import { API_STAGE_NAME } from './names.ts';

/**
 * `npm run access-policy -- --stage prod --level write --account acme [--account bob*] [--api-id a1b2c3d4e5]`:
 * prints the IAM policy (JSON) that lets a role call the stage's API at a level, for some
 * registered accounts only with --account: what an operator attaches to a same-account role, or a
 * caller's account to its own role. The stage's pinned account and region fill the ARN, else
 * placeholders; the API id is the first label of the ApiUrl output's host.
 */
const USAGE = 'usage: npm run access-policy -- --stage <stage> --level <read|write|rollover|admin> [--account <name or prefix*>]... [--api-id <id>]';

function main(): void {
  const { values } = parseArgs({
    options: { stage: { type: 'string' }, level: { type: 'string' }, account: { type: 'string', multiple: true }, 'api-id': { type: 'string' } },
  });
  const level = ACCESS_LEVELS.find((candidate) => candidate === values.level);
  if (values.stage === undefined || level === undefined) throw new StageConfigError(USAGE);
  const config = loadStageConfig(values.stage, STAGES);
  const accounts = values.account;
  const bad = (accounts ?? []).filter((pattern) => !ACCOUNT_PATTERN.test(pattern));
  if (bad.length > 0) throw new StageConfigError(`not an account name or a prefix ending in *: ${bad.join(', ')}`);
  if (accounts !== undefined && level === 'admin')
    throw new StageConfigError('admin is the registry of every account: it cannot be limited to some (use rollover)');
  const apiArn = `arn:aws:execute-api:${config.region ?? '<region>'}:${config.account ?? '<account>'}:${values['api-id'] ?? '<api-id>'}`;
  const document = invokePolicyDocument({
    apiArn,
    stageName: API_STAGE_NAME,
    level: level satisfies AccessLevel,
    ...(accounts === undefined ? {} : { accounts }),
  });
  console.log(JSON.stringify(document, null, 2));
}

try {
  main();
} catch (error) {
  if (!(error instanceof StageConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
