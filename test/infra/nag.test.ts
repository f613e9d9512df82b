import { Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { STAGES_UNDER_TEST, buildStage, synthStage } from './support.ts';
import type { Synthesized } from './support.ts';

/** Every acknowledgement in the tree: rule id -> reason (ids as cdk-nag reads them). */
function acknowledgements(root: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.set(id.replace(/^annotation::/i, ''), reason);
      }
    }
  }
  return found;
}

describe.each(STAGES_UNDER_TEST)('cdk-nag AwsSolutions on stage %s', (stage) => {
  let synthesized: Synthesized;
  beforeAll(() => {
    // Synthesizing runs cdk-nag as a validation plugin: it throws on any unacknowledged finding.
    synthesized = synthStage(stage);
  });

  it('has no unacknowledged finding (error or warning), and CDK reports no error and no warning but our own', () => {
    const { app, stack } = synthesized;
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} (${v.severity}) ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    // No stage lists callers yet (access.test.ts), and prod has no alarm subscription yet (observability.test.ts):
    // the warnings they must show.
    const warnings = annotations.findWarning('*', Match.anyValue()).map((w) => JSON.stringify(w.entry.data));
    const expected: unknown[] = [expect.stringContaining('no callers are listed')];
    if (stage === 'prod') expected.push(expect.stringContaining('nobody is subscribed to its alarms'));
    expect(warnings).toEqual(expected);
  });

  it('acknowledges only the expected rules, each with a specific reason', () => {
    const { app } = synthesized;
    const acks = acknowledgements(app);
    // The managed invoke policies name each route; a path parameter is a `*` (one per such route).
    const routeWildcards = [...acks.keys()].filter((id) => id.startsWith('AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:'));
    expect(routeWildcards.length).toBeGreaterThan(0);
    for (const id of routeWildcards)
      expect(id).toMatch(
        /^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<Api[0-9A-F]+>\/v1\/(GET|PUT|POST|DELETE)\/[a-z_/]+\*[a-z_/*]*\]$/,
      );
    expect([...acks.keys()].filter((id) => !routeWildcards.includes(id)).sort()).toEqual(
      [
        'AwsSolutions-APIG2',
        'AwsSolutions-APIG3',
        'AwsSolutions-COG4',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'AwsSolutions-IAM5[Resource::*]',
        // The registered accounts' secrets: the * is the account's name under this stage's path (account-access.test.ts).
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:ix-sequences/${stage}/accounts/*]`,
        'AwsSolutions-SMG4',
        'AwsSolutions-SQS3',
      ].sort(),
    );
    for (const [id, reason] of acks) expect(reason.length, id).toBeGreaterThan(60);
  });
});

describe('cdk-nag wiring', () => {
  it('fails the synth on an unacknowledged finding', () => {
    const { app, stack } = buildStage('dev');
    // A queue without TLS enforcement and without a DLQ: AwsSolutions-SQS3 / SQS4.
    new sqs.Queue(stack, 'NonCompliantQueue');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
