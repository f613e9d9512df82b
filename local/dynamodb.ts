import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { listenOnLoopback } from '../sandbox/loopback.ts';
import { RUN_TABLE_KEY } from '../shared/rollover/run-store.ts';

/**
 * A real DynamoDB API on loopback (dynalite, in memory) with the run table created the way the
 * stack creates it: `npm start`, the CLI and the tests reach it through the real
 * @aws-sdk/client-dynamodb (AWS_ENDPOINT_URL_DYNAMODB), never through a fake.
 */
export interface LocalDynamo {
  readonly url: string;
  readonly tableName: string;
  /** A client for it (tests and the CLI; the functions build their own from the environment). */
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

export const LOCAL_TABLE_NAME = 'ix-sequences-local-runs';

export async function startLocalDynamo(options: { tableName?: string } = {}): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const url = await listenOnLoopback(server);
  const tableName = options.tableName ?? LOCAL_TABLE_NAME;
  const client = new DynamoDBClient({ endpoint: url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const { partitionKey, sortKey, timeToLive } = RUN_TABLE_KEY;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: 'S' },
        { AttributeName: sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: timeToLive, Enabled: true } })).catch(() => {
    // dynalite may not implement TTL settings; expiry is enforced by the lock's own condition anyway.
  });
  return {
    url,
    tableName,
    client,
    close: async () => {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
