import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { RegistryAccountNameSchema } from '../accounts/model.ts';
import { dynamoDbDocuments } from '../runtime/dynamodb.ts';
import * as z from '../zod.ts';
import { issueFields } from '../zod-issues.ts';
import type { RolloverResult } from './result.ts';
import { RolloverPhaseSchema } from './schemas.ts';

/**
 * Where each registered account stands in a year: one item per account and year in the run table
 * (`pk` YEAREND#<year>, `sk` the account), written after each of its real runs, so the year at a
 * glance (GET /rollover/{year}/accounts) is two Queries however many accounts there are.
 */
export const YEAR_END_STATUSES = ['ready', 'activated', 'failed', 'not_started'] as const;
export type YearEndStatus = (typeof YEAR_END_STATUSES)[number];

export const YearEndAccountSchema = z.object({
  account: RegistryAccountNameSchema,
  status: z.enum(YEAR_END_STATUSES),
  cause: z.optional(z.string()).check(z.describe('Why it failed: the failure kind and message of its last run')),
  phase: z.optional(RolloverPhaseSchema),
  outcome: z.optional(z.string()).check(z.describe("The last run's outcome")),
  runId: z.optional(z.string()),
  updatedAt: z.optional(z.iso.datetime()),
});
export type YearEndAccount = z.infer<typeof YearEndAccountSchema>;

export const yearEndPartition = (year: number): string => `YEAREND#${String(year)}`;

/** A cause is cut to this many characters (the run record keeps the whole message). */
const MAX_CAUSE_CHARS = 300;

/**
 * What a run says of its account's year: ready (prepare done), activated (the year's serie is the
 * default, or a default that supersedes it was left alone), failed (with the cause; a run stopped
 * at its deadline too: a person looks if the next run does not fix it). Dry runs and runs that
 * found the lock held say nothing.
 */
export function yearEndEntryOf(result: RolloverResult): Omit<YearEndAccount, 'account' | 'updatedAt'> | undefined {
  if (result.dryRun || result.outcome === 'skipped') return undefined;
  const base = { phase: result.phase, outcome: result.outcome, ...(result.runId === undefined ? {} : { runId: result.runId }) };
  if (result.outcome === 'failed' || result.outcome === 'incomplete') {
    const failure = result.failure;
    const text = failure === undefined ? result.outcome : `${result.outcome === 'incomplete' ? 'incomplete, ' : ''}${failure.kind}: ${failure.message}`;
    return { ...base, status: 'failed', cause: text.length > MAX_CAUSE_CHARS ? `${text.slice(0, MAX_CAUSE_CHARS - 1)}…` : text };
  }
  return { ...base, status: result.phase === 'prepare' ? 'ready' : 'activated' };
}

export interface YearEndStore {
  /** Records the entry; the status it replaced (a prepare after the activation keeps `activated`). */
  record(year: number, entry: YearEndAccount): Promise<{ previous: YearEndStatus | undefined }>;
  /** Every account's entry for the year, by name. */
  list(year: number): Promise<YearEndAccount[]>;
}

function parseEntry(item: unknown): YearEndAccount {
  const parsed = YearEndAccountSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  throw new Error(`The run table holds a year-end status that does not parse (at ${issueFields(parsed.error, { limit: 3 }).join(', ')})`);
}

export function dynamoDbYearEndStore(options: { tableName: string; client?: DynamoDBClient }): YearEndStore {
  const documents = dynamoDbDocuments(options.client);
  const TableName = options.tableName;
  return {
    async record(year, entry) {
      try {
        const answer = await documents.send(
          new PutCommand({
            TableName,
            Item: { pk: yearEndPartition(year), sk: entry.account, ...entry },
            // A later prepare (its serie is still there) does not take an activated account back to ready.
            ...(entry.status === 'ready'
              ? {
                  ConditionExpression: 'attribute_not_exists(#status) OR #status <> :activated',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: { ':activated': 'activated' },
                }
              : {}),
            ReturnValues: 'ALL_OLD',
          }),
        );
        const previous: unknown = answer.Attributes?.['status'];
        return { previous: YEAR_END_STATUSES.find((status) => status === previous) };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { previous: 'activated' };
        throw error;
      }
    },

    async list(year) {
      const entries: YearEndAccount[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const answer = await documents.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': yearEndPartition(year) },
            ExclusiveStartKey: start,
          }),
        );
        entries.push(...(answer.Items ?? []).map(parseEntry));
        start = answer.LastEvaluatedKey;
      } while (start !== undefined);
      return entries;
    },
  };
}
