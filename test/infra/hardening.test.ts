import { describe, expect, it } from 'vitest';
import { loadStageConfig } from '../../infra/config.ts';
import { DISPATCH_SCHEDULES } from '../../shared/fanout/due.ts';
import { ROLLOVER_SCHEDULES } from '../../infra/constructs/rollover-schedules.ts';
import { STAGES_UNDER_TEST, asArray, flatten, functionLogicalId, props, refTarget, resourcesOfType, synthStage } from './support.ts';
import type { PolicyStatementJson } from './support.ts';

/** Confused-deputy guards on service principals, and the run table's protection (issue 21, item 6). */
describe.each(STAGES_UNDER_TEST)('stage %s', (stage) => {
  const { json } = synthStage(stage);
  const config = loadStageConfig(stage);
  const prefix = `ix-sequences-${stage}`;

  it("lets CloudWatch use the alarm topic's key only for this account's alarms (aws:SourceAccount)", () => {
    const [, topic] = resourcesOfType(json, 'AWS::SNS::Topic')[0]!;
    const key = json.Resources[refTarget(props(topic)['KmsMasterKeyId'])!]!;
    const statements = props<{ KeyPolicy: { Statement: PolicyStatementJson[] } }>(key).KeyPolicy.Statement;
    const forCloudWatch = statements.filter((s) => asArray((s.Principal as { Service?: string } | undefined)?.Service).includes('cloudwatch.amazonaws.com'));
    expect(forCloudWatch).toHaveLength(1);
    expect(forCloudWatch[0]!.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
  });

  it.each([
    ['rollover', ROLLOVER_SCHEDULES, 'rollover-scheduled'],
    ['dispatch', DISPATCH_SCHEDULES, 'rollover-dispatcher'],
  ] as const)('lets Scheduler assume the %s role only for its own schedules of this stage (aws:SourceArn)', (_kind, specs, target) => {
    const schedules = resourcesOfType(json, 'AWS::Scheduler::Schedule').map(([, s]) => props<{ Name: string; Target: { Arn: unknown; RoleArn: unknown } }>(s));
    const mine = schedules.filter((s) => refTarget(s.Target.Arn) === functionLogicalId(json, `${prefix}-${target}`));
    const roleIds = [...new Set(mine.map((s) => refTarget(s.Target.RoleArn)))];
    expect(roleIds).toHaveLength(1);
    const [trust] = props<{ AssumeRolePolicyDocument: { Statement: PolicyStatementJson[] } }>(json.Resources[roleIds[0]!]!).AssumeRolePolicyDocument.Statement;
    expect(trust!.Condition?.['StringEquals']).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    const arns = asArray(trust!.Condition?.['ArnEquals']?.['aws:SourceArn']).map(flatten).sort();
    expect(arns).toEqual(mine.map((s) => `arn:<Ref:AWS::Partition>:scheduler:<Ref:AWS::Region>:<Ref:AWS::AccountId>:schedule/default/${s.Name}`).sort());
    expect(arns).toHaveLength(specs.length);
    // The exact names: another stage whose name starts with this one's cannot match.
    expect(arns.every((arn) => specs.some((spec) => arn.endsWith(`/${prefix}-${spec.name}`)))).toBe(true);
    // Two roles in all, one per target.
    const schedulerRoles = resourcesOfType(json, 'AWS::IAM::Role').filter(([, r]) =>
      JSON.stringify(props(r)['AssumeRolePolicyDocument']).includes('scheduler.amazonaws.com'),
    );
    expect(schedulerRoles).toHaveLength(2);
    // The schedules are in the default group (the ARNs above assume it).
    for (const [, s] of resourcesOfType(json, 'AWS::Scheduler::Schedule')) expect(props(s)['GroupName']).toBeUndefined();
  });

  it('protects the run table from deletion where the stage keeps its data', () => {
    const [, table] = resourcesOfType(json, 'AWS::DynamoDB::Table')[0]!;
    expect(props(table)['DeletionProtectionEnabled'] ?? false).toBe(config.removalPolicy === 'retain');
    if (stage === 'prod') expect(props(table)['DeletionProtectionEnabled']).toBe(true);
  });
});
