import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocuments, queryItems } from '../runtime/dynamodb.ts';
import { issueFields } from '../zod-issues.ts';
import { AccountRecordSchema } from './model.ts';
import type { AccountRecord } from './model.ts';
import { decodeToken, encodeToken } from './page-token.ts';

/**
 * The account registry: one item per account in the run table, all under the partition `ACCOUNTS`
 * (sort key: the account's name), so a page of accounts in name order is one Query and the whole
 * registry a few (10,000 accounts are about 4 MB). Nothing here knows the accounts' keys.
 */
export const ACCOUNTS_PARTITION = 'ACCOUNTS';

export interface AccountPage {
  accounts: AccountRecord[];
  /** Opaque: give it back for the next page. */
  nextToken?: string | undefined;
}

export interface AccountRegistry {
  get(account: string, options?: { consistent?: boolean }): Promise<AccountRecord | undefined>;
  /** A page in name order; `nextToken` from the previous page (InvalidPageTokenError when it is not one of ours). */
  page(options: { limit: number; nextToken?: string | undefined }): Promise<AccountPage>;
  /** Every enabled account (the fan-out and the year-end counts). */
  enabled(): Promise<AccountRecord[]>;
  put(record: AccountRecord): Promise<void>;
}

function parseRecord(item: unknown): AccountRecord {
  const parsed = AccountRecordSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  throw new Error(`The run table holds an account that does not parse (at ${issueFields(parsed.error, { limit: 3 }).join(', ')})`);
}

export function dynamoDbAccountRegistry(options: { tableName: string; client?: DynamoDBClient }): AccountRegistry {
  const documents = dynamoDbDocuments(options.client);
  const TableName = options.tableName;

  async function query(limit: number | undefined, after: string | undefined) {
    const answer = await documents.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': ACCOUNTS_PARTITION },
        ...(limit === undefined ? {} : { Limit: limit }),
        ...(after === undefined ? {} : { ExclusiveStartKey: { pk: ACCOUNTS_PARTITION, sk: after } }),
      }),
    );
    const last: unknown = answer.LastEvaluatedKey?.['sk'];
    return { records: (answer.Items ?? []).map(parseRecord), last: typeof last === 'string' ? last : undefined };
  }

  return {
    async get(account, { consistent = false } = {}) {
      const answer = await documents.send(new GetCommand({ TableName, Key: { pk: ACCOUNTS_PARTITION, sk: account }, ConsistentRead: consistent }));
      return answer.Item === undefined ? undefined : parseRecord(answer.Item);
    },

    async page({ limit, nextToken }) {
      const { records, last } = await query(limit, nextToken === undefined ? undefined : decodeToken(nextToken));
      return { accounts: records, ...(last === undefined ? {} : { nextToken: encodeToken(last) }) };
    },

    async enabled() {
      const all = await queryItems(
        documents,
        { TableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': ACCOUNTS_PARTITION } },
        parseRecord,
      );
      return all.filter((record) => record.enabled);
    },

    async put(record) {
      await documents.send(new PutCommand({ TableName, Item: { pk: ACCOUNTS_PARTITION, sk: record.account, ...record } }));
    },
  };
}
