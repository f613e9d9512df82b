import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamo } from '../../local/dynamodb.ts';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import { dynamoDbSequenceNumbers } from '../../shared/notifications/publish-adapters.ts';
import { createRegistrationLeaseTable } from '../../shared/sequences/registration-lease-table.ts';

/**
 * Adapters sharing one DynamoDB client (as in a container) keep their marshalling: a
 * DynamoDBDocumentClient built later from the same client used to overwrite the options of those
 * built before it, so a lease release carrying an undefined field failed, and the lease was held
 * until it expired (a prepare then waited 20 s for a registration nobody was doing).
 */
describe('one document client per DynamoDB client', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => {
    await dynamo.close();
  });

  it('a lease released with an outcome holding undefined fields, after another adapter was built on the same client', async () => {
    const leases = createRegistrationLeaseTable({ tableName: dynamo.tableName, client: dynamo.client });
    dynamoDbSequenceNumbers({ tableName: dynamo.tableName, client: dynamo.client });
    const key = { account: 'acme', sequenceId: 42 };
    const holder = { holderId: 'h-1', via: 'register' as const, acquiredAt: new Date().toISOString() };
    expect(await leases.acquire(key, holder, 30_000)).toEqual({ acquired: true });
    const sequence = { id: 42, serie: '2027', isDefault: false, registered: false, documents: {} };
    const outcome = { status: 'not_registered' as const, sequence, why: 'in_progress' as const, reason: 'AT left it pending', messages: [], error: undefined };
    await leases.release(key, holder.holderId, outcome);
    expect((await leases.read(key)).state).toBe('finished');
  });
});
