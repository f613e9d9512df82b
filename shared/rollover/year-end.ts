import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { forEachLimited } from '../runtime/concurrency.ts';
import { dynamoDbDocuments, queryItems } from '../runtime/dynamodb.ts';
import { issueFields } from '../zod-issues.ts';
import { YEAR_END_STATUSES, YearEndAccountSchema } from './year-end-status.ts';
import type { YearEndAccount, YearEndStatus } from './year-end-status.ts';

/**
 * Where each registered account stands in a year: one item per account and year in the run table
 * (`pk` YEAREND#<year>, `sk` the account), written after each of its real runs, so the year at a
 * glance (GET /rollover/{year}/accounts) is two Queries however many accounts there are.
 */
export const yearEndPartition = (year: number): string => `YEAREND#${String(year)}`;

export interface YearEndStore {
  /**
   * Records the entry; what it replaced: the status (a prepare after the activation keeps
   * `activated`) and whether that failure was already paged (a failure that goes on pages once).
   */
  record(year: number, entry: YearEndAccount): Promise<{ previous: YearEndStatus | undefined; paged: boolean }>;
  /** The failures a person was told about (the fan-out's alarm): not paged again while they last. */
  markPaged(year: number, accounts: readonly string[]): Promise<void>;
  /** Every account's entry for the year, by name. */
  list(year: number): Promise<YearEndAccount[]>;
}

function parseEntry(item: unknown): YearEndAccount {
  const parsed = YearEndAccountSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  throw new Error(`The run table holds a year-end status that does not parse (at ${issueFields(parsed.error, { limit: 3 }).join(', ')})`);
}

/** SET every field of the entry, REMOVE the ones it does not have (and `paged` unless it still failed). */
function updateOf(entry: YearEndAccount): { expression: string; names: Record<string, string>; values: Record<string, unknown> } {
  const fields = ['account', 'status', 'cause', 'phase', 'outcome', 'runId', 'updatedAt'] as const;
  const present = fields.filter((field) => entry[field] !== undefined);
  const absent = [...fields.filter((field) => entry[field] === undefined), ...(entry.status === 'failed' ? [] : ['paged'])];
  const names = Object.fromEntries([...present, ...absent].map((field) => [`#${field}`, field]));
  const values = Object.fromEntries(present.map((field) => [`:${field}`, entry[field]]));
  const set = `SET ${present.map((field) => `#${field} = :${field}`).join(', ')}`;
  return { expression: absent.length === 0 ? set : `${set} REMOVE ${absent.map((field) => `#${field}`).join(', ')}`, names, values };
}

const CONCURRENT_WRITES = 10;

interface Table {
  documents: DynamoDBDocumentClient;
  TableName: string;
}

const keyOf = (year: number, account: string) => ({ pk: yearEndPartition(year), sk: account });

async function recordEntry(
  { documents, TableName }: Table,
  year: number,
  entry: YearEndAccount,
): Promise<{ previous: YearEndStatus | undefined; paged: boolean }> {
  const update = updateOf(entry);
  // A later prepare (its serie is still there) does not take an activated account back to ready.
  const keepActivated = entry.status === 'ready';
  try {
    const answer = await documents.send(
      new UpdateCommand({
        TableName,
        Key: keyOf(year, entry.account),
        UpdateExpression: update.expression,
        ExpressionAttributeNames: update.names,
        ExpressionAttributeValues: keepActivated ? { ...update.values, ':activated': 'activated' } : update.values,
        ...(keepActivated ? { ConditionExpression: 'attribute_not_exists(#status) OR #status <> :activated' } : {}),
        ReturnValues: 'ALL_OLD',
      }),
    );
    const previous: unknown = answer.Attributes?.['status'];
    return { previous: YEAR_END_STATUSES.find((status) => status === previous), paged: answer.Attributes?.['paged'] === true };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { previous: 'activated', paged: false };
    throw error;
  }
}

async function markPaged({ documents, TableName }: Table, year: number, accounts: readonly string[]): Promise<void> {
  const mark = (account: string) =>
    documents
      .send(
        new UpdateCommand({
          TableName,
          Key: keyOf(year, account),
          UpdateExpression: 'SET paged = :true',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':true': true },
        }),
      )
      .catch((error: unknown) => {
        // Its item is gone (it cannot be: statuses are never deleted): nothing to mark.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  await forEachLimited(accounts, CONCURRENT_WRITES, mark);
}

function listYear({ documents, TableName }: Table, year: number): Promise<YearEndAccount[]> {
  return queryItems(documents, { TableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': yearEndPartition(year) } }, parseEntry);
}

export function dynamoDbYearEndStore(options: { tableName: string; client?: DynamoDBClient }): YearEndStore {
  const table: Table = { documents: dynamoDbDocuments(options.client), TableName: options.tableName };
  return {
    record: (year, entry) => recordEntry(table, year, entry),
    markPaged: (year, accounts) => markPaged(table, year, accounts),
    list: (year) => listYear(table, year),
  };
}
