import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StageConfigInput } from '../../infra/config.ts';
import { readsStageSecret } from '../../infra/constructs/function-specs.ts';
import { FUNCTION_SPECS } from '../../infra/ix-sequences-stack.ts';
import { asArray, functionLogicalId, iamStatements, props, resourcesOfType, synthStage } from './support.ts';
import type { PolicyStatementJson, Synthesized } from './support.ts';

/** Configurations an operator may add: imported secrets, callers, e-mail, a larger InvoiceXpress allowance, a pinned environment. */
const STAGES: Record<string, StageConfigInput> = {
  partner: {
    invoiceXpressAccount: 'acme',
    account: '123456789012',
    region: 'eu-west-1',
    secret: { mode: 'import', name: 'shared/ix-credentials' },
    callers: [
      { principal: '111122223333', level: 'read' },
      { principal: 'arn:aws:iam::444455556666:role/billing-caller', level: 'write' },
    ],
    alarms: { emails: ['ops@example.com'], expectSubscription: true },
    invoiceXpressRequestsPerMinute: 600,
    scheduleTimeZone: 'Atlantic/Azores',
    serieTemplates: ['A{year}', 'B{year}'],
    manageApiGatewayLogsRole: false,
  },
  byarn: {
    invoiceXpressAccount: 'acme',
    secret: { mode: 'importArn', arn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ix-sequences/byarn-AbC123' },
    serieFamilies: [
      { name: 'main', templates: ['{year}', '{year}B'], default: true },
      { name: 'web', templates: ['W{yy}'] },
    ],
  },
};

/** Reads of the stage's InvoiceXpress secret (the webhooks secret is notifications.test.ts's, the accounts' account-access.test.ts's). */
function secretReads(s: Synthesized): PolicyStatementJson[] {
  const webhooks = resourcesOfType(s.json, 'AWS::SecretsManager::Secret')
    .filter(([, r]) => String(props(r)['Name']).endsWith('/webhooks'))
    .map(([id]) => id);
  return iamStatements(s.json)
    .map((x) => x.statement)
    .filter((st) => asArray(st.Action).includes('secretsmanager:GetSecretValue'))
    .filter((st) => !JSON.stringify(st.Resource).includes('/accounts/*'))
    .filter((st) => !webhooks.some((id) => JSON.stringify(st.Resource).includes(`"${id}"`)));
}

describe('an operator-added stage: imported secret, allowed callers, alarm e-mail, pinned account', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStage('partner', { stages: STAGES });
  });

  it('is deployed to the configured account and region', () => {
    expect(s.stack.stackName).toBe('IxSequences-partner');
    expect(s.stack.account).toBe('123456789012');
    expect(s.stack.region).toBe('eu-west-1');
  });

  it('reads the imported secret by name, granting only that secret (its 6-character suffix)', () => {
    // Only the stack's own webhooks secret: the InvoiceXpress one is imported.
    expect(resourcesOfType(s.json, 'AWS::SecretsManager::Secret').map(([, r]) => props(r)['Name'])).toEqual(['ix-sequences/partner/webhooks']);
    const fnId = functionLogicalId(s.json, 'ix-sequences-partner-list-sequences');
    expect(props<{ Environment: { Variables: Record<string, unknown> } }>(s.json.Resources[fnId]!).Environment.Variables['IX_SECRET_ID']).toBe(
      'shared/ix-credentials',
    );
    const reads = secretReads(s);
    expect(reads).toHaveLength(FUNCTION_SPECS.filter(readsStageSecret).length);
    for (const r of reads) expect(r.Resource).toBe('arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/ix-credentials-??????');
  });

  it('adds a resource policy naming the callers, and denying every level to the others (access levels: access.test.ts)', () => {
    const [, api] = resourcesOfType(s.json, 'AWS::ApiGateway::RestApi')[0]!;
    const policy = props<{ Policy: { Statement: PolicyStatementJson[] } }>(api).Policy;
    expect(policy.Statement.map((st) => st.Effect)).toEqual(['Allow', 'Allow', 'Deny', 'Deny', 'Deny', 'Deny']);
    expect(JSON.stringify(policy.Statement[0]!.Principal)).toContain('111122223333');
    expect(policy.Statement[1]!.Principal).toEqual({ AWS: 'arn:aws:iam::444455556666:role/billing-caller' });
  });

  it('throttles the stage from its larger InvoiceXpress allowance', () => {
    s.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      // The API's share: 600 less the rollover's reserve of 10, per minute; a GET makes one call.
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: 'GET', ResourcePath: '/~1sequences~1{id}', ThrottlingRateLimit: 4.916, ThrottlingBurstLimit: 295 }),
      ]),
    });
  });

  it('subscribes the alarm e-mail, uses the configured time zone and serie templates, and leaves the account-wide logs role alone', () => {
    s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    // The default account's schedules in its zone; the registered accounts' dispatch ticks stay in UTC (fanout.test.ts).
    const zones = resourcesOfType(s.json, 'AWS::Scheduler::Schedule').map(
      ([, r]) => `${String(props(r)['Name'])} ${String(props(r)['ScheduleExpressionTimezone'])}`,
    );
    expect(zones.filter((z) => !z.includes('-dispatch-')).every((z) => z.endsWith(' Atlantic/Azores'))).toBe(true);
    expect(zones.filter((z) => z.includes('-dispatch-')).every((z) => z.endsWith(' Etc/UTC'))).toBe(true);
    expect(zones).toHaveLength(9);
    const fnId = functionLogicalId(s.json, 'ix-sequences-partner-rollover-scheduled');
    expect(props<{ Environment: { Variables: Record<string, unknown> } }>(s.json.Resources[fnId]!).Environment.Variables).toMatchObject({
      SERIE_TEMPLATES: 'A{year},B{year}',
      ROLLOVER_TIME_ZONE: 'Atlantic/Azores',
    });
    s.template.resourceCountIs('AWS::ApiGateway::Account', 0);
    s.template.hasResourceProperties('AWS::ApiGateway::Stage', { MethodSettings: Match.arrayWith([Match.objectLike({ LoggingLevel: 'ERROR' })]) });
  });

  it('passes cdk-nag (the secret-suffix wildcard is acknowledged for exactly that ARN)', () => {
    expect(new AwsSolutionsChecks().validateScope(s.app).violations).toEqual([]);
  });
});

describe('a stage importing its secret by complete ARN', () => {
  it('grants exactly that ARN and passes cdk-nag without a wildcard acknowledgement', () => {
    const s = synthStage('byarn', { stages: STAGES });
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ix-sequences/byarn-AbC123';
    for (const r of secretReads(s)) expect(r.Resource).toBe(arn);
    const fnId = functionLogicalId(s.json, 'ix-sequences-byarn-get-sequence');
    expect(props<{ Environment: { Variables: Record<string, unknown> } }>(s.json.Resources[fnId]!).Environment.Variables['IX_SECRET_ID']).toBe(arn);
    // Its serie families go to the rollover functions as SERIE_FAMILIES (and SERIE_TEMPLATES not at all).
    const rolloverVariables = props<{ Environment: { Variables: Record<string, unknown> } }>(
      s.json.Resources[functionLogicalId(s.json, 'ix-sequences-byarn-rollover-scheduled')]!,
    ).Environment.Variables;
    expect(JSON.parse(String(rolloverVariables['SERIE_FAMILIES']))).toEqual([
      { name: 'main', templates: ['{year}', '{year}B'], default: true },
      { name: 'web', templates: ['W{yy}'], default: false },
    ]);
    expect(rolloverVariables['SERIE_TEMPLATES']).toBeUndefined();
    expect(new AwsSolutionsChecks().validateScope(s.app).violations).toEqual([]);
  });
});

describe('stage selection', () => {
  it('defaults to dev when no stage is given', () => {
    expect(synthStage(undefined).stack.stackName).toBe('IxSequences-dev');
  });

  it('refuses an unknown stage, naming the configured ones', () => {
    expect(() => synthStage('qa')).toThrow(/Unknown stage "qa".*dev, staging, prod/);
  });
});
