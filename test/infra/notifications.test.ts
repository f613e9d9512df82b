import { beforeAll, describe, expect, it } from 'vitest';
import { routeAccessLevel } from '../../infra/access.ts';
import { EVENT_ARCHIVE_RETENTION_DAYS } from '../../infra/constructs/event-bus.ts';
import { MAX_RECEIVE_COUNT, NOTIFICATIONS_TABLE_ACTIONS } from '../../infra/constructs/notifications.ts';
import { FUNCTION_SPECS } from '../../infra/ix-sequences-stack.ts';
import { STAGES_UNDER_TEST, asArray, flatten, functionLogicalId, props, refTarget, resourcesOfType, synthStage } from './support.ts';
import type { CfnResource, CfnTemplate, PolicyStatementJson } from './support.ts';

/** Durable notifications in the template: queue, dead-letter queue, delivery function, table, bus, archive, grants. */

function named(json: CfnTemplate, type: string, key: string, value: string): [string, CfnResource] {
  const found = resourcesOfType(json, type).find(([, r]) => props(r)[key] === value);
  if (found === undefined) throw new Error(`no ${type} with ${key} ${value}`);
  return found;
}

/** The statements of the policies attached to a function's role. */
function roleStatements(json: CfnTemplate, functionName: string): PolicyStatementJson[] {
  const roleId = refTarget(props(json.Resources[functionLogicalId(json, functionName)]!)['Role']);
  return resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, p]) => asArray(props<{ Roles?: unknown[] }>(p).Roles).some((r) => refTarget(r) === roleId))
    .flatMap(([, p]) => props<{ PolicyDocument: { Statement: PolicyStatementJson[] } }>(p).PolicyDocument.Statement);
}

/** Every action a role has on a resource (logical id), from its statements. */
function actionsOn(statements: readonly PolicyStatementJson[], resourceId: string): string[] {
  return statements
    .filter((s) => s.Effect === 'Allow' && asArray(s.Resource).some((r) => JSON.stringify(r).includes(`"${resourceId}"`)))
    .flatMap((s) => asArray(s.Action))
    .sort();
}

function envOf(json: CfnTemplate, functionName: string): Record<string, unknown> {
  return props<{ Environment: { Variables: Record<string, unknown> } }>(json.Resources[functionLogicalId(json, functionName)]!).Environment.Variables;
}

describe.each(STAGES_UNDER_TEST)('notifications of stage %s', (stage) => {
  let json: CfnTemplate;
  const name = (entry: string): string => `ix-sequences-${stage}-${entry}`;
  beforeAll(() => {
    json = synthStage(stage).json;
  });

  it('a KMS-encrypted queue (14 days) with a dead-letter queue (14 days) far behind the schedule', () => {
    const [dlqId, dlq] = named(json, 'AWS::SQS::Queue', 'QueueName', name('notifications-dlq'));
    const [, queue] = named(json, 'AWS::SQS::Queue', 'QueueName', name('notifications'));
    for (const q of [queue, dlq]) {
      expect(props(q)['MessageRetentionPeriod']).toBe(14 * 24 * 3600);
      expect(refTarget(props(q)['KmsMasterKeyId'])).toMatch(/^NotificationsQueueKey/);
    }
    expect(props<{ RedrivePolicy: { deadLetterTargetArn: unknown; maxReceiveCount: number } }>(queue).RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: MAX_RECEIVE_COUNT,
    });
    expect(MAX_RECEIVE_COUNT).toBeGreaterThan(30);
    // Six times the delivery function's timeout, as Lambda advises for an SQS event source.
    const timeout = props(json.Resources[functionLogicalId(json, name('notification-delivery'))]!)['Timeout'] as number;
    expect(props(queue)['VisibilityTimeout']).toBe(6 * timeout);
  });

  it('the delivery function reads the queue with partial batch failures (ReportBatchItemFailures)', () => {
    // The other event source is the rollover worker's (fanout.test.ts).
    const deliveryFn = functionLogicalId(json, name('notification-delivery'));
    const mappings = resourcesOfType(json, 'AWS::Lambda::EventSourceMapping').filter(([, m]) => refTarget(props(m)['FunctionName']) === deliveryFn);
    expect(mappings).toHaveLength(1);
    const mapping = props<{ FunctionName: unknown; EventSourceArn: unknown; FunctionResponseTypes: string[]; BatchSize: number }>(mappings[0]![1]);
    expect(refTarget(mapping.FunctionName)).toBe(functionLogicalId(json, name('notification-delivery')));
    expect(refTarget(mapping.EventSourceArn)).toBe(named(json, 'AWS::SQS::Queue', 'QueueName', name('notifications'))[0]);
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('a custom event bus with a 30-day archive of everything from source ix-sequences', () => {
    const [busId] = named(json, 'AWS::Events::EventBus', 'Name', `ix-sequences-${stage}`);
    const archives = resourcesOfType(json, 'AWS::Events::Archive');
    expect(archives).toHaveLength(1);
    const archive = props<{ SourceArn: unknown; RetentionDays: number; EventPattern: unknown }>(archives[0]![1]);
    expect(refTarget(archive.SourceArn)).toBe(busId);
    expect(archive.RetentionDays).toBe(EVENT_ARCHIVE_RETENTION_DAYS);
    expect(EVENT_ARCHIVE_RETENTION_DAYS).toBe(30);
    expect(archive.EventPattern).toEqual({ source: ['ix-sequences'] });
  });

  it('each function touches only what it needs: publishers count, queue and put events; readers read; only delivery reads the secret', () => {
    const [tableId] = named(json, 'AWS::DynamoDB::Table', 'TableName', name('notifications'));
    const [queueId] = named(json, 'AWS::SQS::Queue', 'QueueName', name('notifications'));
    const [dlqId] = named(json, 'AWS::SQS::Queue', 'QueueName', name('notifications-dlq'));
    const [busId] = named(json, 'AWS::Events::EventBus', 'Name', `ix-sequences-${stage}`);
    for (const spec of FUNCTION_SPECS) {
      const statements = roleStatements(json, name(spec.entry));
      const access = spec.notifications ?? 'none';
      const table = access === 'none' ? [] : [...NOTIFICATIONS_TABLE_ACTIONS[access]].sort();
      expect(actionsOn(statements, tableId), spec.entry).toEqual(table);
      const sends = access === 'none' || access === 'read' ? [] : ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
      const consume = new Set(['sqs:ChangeMessageVisibility', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']);
      expect([...new Set(actionsOn(statements, queueId).filter((a) => !consume.has(a)))], spec.entry).toEqual(sends);
      expect(actionsOn(statements, dlqId).length > 0, spec.entry).toBe(access === 'deliver');
      expect(actionsOn(statements, busId), spec.entry).toEqual(access === 'publish' ? ['events:PutEvents'] : []);
      const env = envOf(json, name(spec.entry));
      expect('WEBHOOKS_SECRET_ID' in env, spec.entry).toBe(access === 'deliver');
      expect('EVENT_BUS_NAME' in env, spec.entry).toBe(access === 'publish');
      expect('NOTIFICATIONS_TABLE_NAME' in env, spec.entry).toBe(access !== 'none');
    }
    expect(
      FUNCTION_SPECS.filter((spec) => spec.notifications === 'publish')
        .map((spec) => spec.entry)
        .sort(),
    ).toEqual(['create-sequence', 'register-sequence', 'rollover-run', 'rollover-scheduled', 'rollover-worker', 'set-current-sequence']);
    const delivery = roleStatements(json, name('notification-delivery'));
    expect(actionsOn(delivery, queueId)).toEqual(expect.arrayContaining(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:ReceiveMessage']));
    expect(flatten(envOf(json, name('notification-delivery'))['NOTIFICATIONS_DLQ_URL'])).toContain(dlqId);
  });

  it("the notifications table: on demand, point-in-time recovery, the store's two list indexes; kept in a retained stage", () => {
    const [, table] = named(json, 'AWS::DynamoDB::Table', 'TableName', name('notifications'));
    expect(props(table)).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
    expect(props<{ GlobalSecondaryIndexes: { IndexName: string }[] }>(table).GlobalSecondaryIndexes.map((i) => i.IndexName)).toEqual([
      'byStatus',
      'byCreatedAt',
    ]);
    expect(table.DeletionPolicy).toBe(stage === 'prod' ? 'Retain' : 'Delete');
  });
});

describe('access levels of the notification routes', () => {
  it('reading the delivery log is read; redelivering is rollover', () => {
    expect(routeAccessLevel({ method: 'GET', path: '/notifications' })).toBe('read');
    expect(routeAccessLevel({ method: 'GET', path: '/notifications/{id}' })).toBe('read');
    expect(routeAccessLevel({ method: 'POST', path: '/notifications/{id}/redeliver' })).toBe('rollover');
    expect(routeAccessLevel({ method: 'POST', path: '/notifications/redeliver' })).toBe('rollover');
    expect(routeAccessLevel({ method: 'POST', path: '/notificationsx' })).toBe('write');
  });
});
