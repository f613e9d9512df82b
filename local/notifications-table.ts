import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NOTIFICATIONS_TABLE_KEY } from '../shared/notifications/dynamodb-store.ts';

const LOCAL_NOTIFICATIONS_TABLE_NAME = 'ix-sequences-local-notifications';

/** Creates the notifications table in the local DynamoDB (dynalite) the way the stack does: keys and both indexes. */
export async function createLocalNotificationsTable(client: DynamoDBClient, tableName = LOCAL_NOTIFICATIONS_TABLE_NAME): Promise<string> {
  const { partitionKey, sortKey, indexes } = NOTIFICATIONS_TABLE_KEY;
  const attributes = new Set<string>([partitionKey, sortKey, ...indexes.flatMap((index) => [index.partitionKey, index.sortKey])]);
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: indexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    }),
  );
  return tableName;
}
