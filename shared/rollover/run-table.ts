import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { dynamoDbDocuments, queryItems } from '../runtime/dynamodb.ts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { RolloverPhaseSchema, RolloverTriggerSchema } from './schemas.ts';
import { RolloverRunRecordSchema, RolloverRunSummarySchema } from './result.ts';
import { yearOfRunId } from './run-store.ts';
import type { LockAttempt, LockKey, RunHolder, RunStore } from './run-store.ts';
import type { RolloverRunRecord, RolloverRunSummary } from './result.ts';
import { NotificationEventSchema } from '../notifications/model.ts';
import type { OutboxEntry, RunOutboxFields, RunOutboxStore } from '../notifications/run-outbox.ts';
import { issueFields } from '../zod-issues.ts';

/**
 * The run table: one item per lock (`sk` LOCK) and one per real run (`sk` RUN#<runId>), under the
 * partition `<account>#<year>`. Run ids sort by start time, so the newest runs of a year are one
 * Query. Conditional writes make the lock exclusive; `expiresAt` (epoch seconds) is both the
 * lease and the table's TTL attribute, so an expired lock can be taken over and is swept later.
 */

const LOCK = 'LOCK';
const runKey = (runId: string): string => `RUN#${runId}`;
const partition = (key: LockKey): string => `${key.account}#${String(key.year)}`;

const HolderSchema = z.object({
  runId: z.string(),
  trigger: RolloverTriggerSchema,
  caller: z.string(),
  phase: RolloverPhaseSchema,
  acquiredAt: z.iso.datetime(),
});

/** An item that does not parse is a bug or tampering: say which, never guess. */
function parseItem<T>(schema: z.ZodMiniType<T>, item: unknown, what: string): T {
  const parsed = schema.safeParse(item);
  if (parsed.success) return parsed.data;
  const where = issueFields(parsed.error, { limit: 3 }).join(', ');
  throw new Error(`The run table holds a ${what} that does not parse (at ${where})`);
}

interface Table {
  documents: DynamoDBDocumentClient;
  TableName: string;
  now: () => number;
}

async function lockHolder({ documents, TableName }: Table, key: LockKey): Promise<RunHolder | undefined> {
  const answer = await documents.send(new GetCommand({ TableName, Key: { pk: partition(key), sk: LOCK }, ConsistentRead: true }));
  return answer.Item === undefined ? undefined : parseItem(HolderSchema, answer.Item, 'lock');
}

/** Takes the lock when it is free or expired; false when another run holds it. */
async function putLock({ documents, TableName, now }: Table, key: LockKey, holder: RunHolder, leaseMs: number): Promise<boolean> {
  const at = now();
  try {
    await documents.send(
      new PutCommand({
        TableName,
        Item: { pk: partition(key), sk: LOCK, ...holder, expiresAt: Math.ceil((at + leaseMs) / 1000) },
        // Every run (and the session's retry after a 401) takes the lock under a new run id.
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': Math.floor(at / 1000) },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * One read after a failed write names the holder (dynalite lacks ReturnValuesOnConditionCheckFailure,
 * so the failed write cannot). Released between our write and our read: one more try, never a loop.
 */
async function acquireLock(table: Table, key: LockKey, holder: RunHolder, leaseMs: number): Promise<LockAttempt> {
  if (await putLock(table, key, holder, leaseMs)) return { acquired: true };
  const current = await lockHolder(table, key);
  if (current !== undefined) return { acquired: false, holder: current };
  if (await putLock(table, key, holder, leaseMs)) return { acquired: true };
  const taker = await lockHolder(table, key);
  if (taker !== undefined) return { acquired: false, holder: taker };
  throw new Error('The run lock was released twice while this run tried to take it');
}

const OutboxEntrySchema = z.object({
  runId: z.string(),
  status: z.enum(['running', 'finished']),
  phase: z.string(),
  events: z.optional(z.array(NotificationEventSchema)),
  eventsPublishedAt: z.optional(z.string()),
  recoveredBy: z.optional(z.string()),
});

/** Every run of the year with its outbox fields (shared/notifications/run-outbox.ts), every page. */
async function outboxOf({ documents, TableName }: Table, key: LockKey): Promise<OutboxEntry[]> {
  const input = {
    TableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
    ExpressionAttributeValues: { ':pk': partition(key), ':run': 'RUN#' },
    ProjectionExpression: 'runId, #status, phase, events, eventsPublishedAt, recoveredBy',
    ExpressionAttributeNames: { '#status': 'status' },
    ConsistentRead: true,
  };
  return queryItems(documents, input, (item) => parseItem(OutboxEntrySchema, item, 'run record'));
}

/** Frees the lock if this run still holds it. */
async function releaseLock({ documents, TableName }: Table, key: LockKey, runId: string): Promise<void> {
  try {
    await documents.send(
      new DeleteCommand({
        TableName,
        Key: { pk: partition(key), sk: LOCK },
        ConditionExpression: 'runId = :runId',
        ExpressionAttributeValues: { ':runId': runId },
      }),
    );
  } catch (error) {
    // Our lease expired and another run took the lock: it is theirs now.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** Sets outbox fields on a run record in one conditional update (a record that is gone stays gone). */
async function markRun({ documents, TableName }: Table, key: LockKey, runId: string, fields: RunOutboxFields): Promise<void> {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return;
  try {
    await documents.send(
      new UpdateCommand({
        TableName,
        Key: { pk: partition(key), sk: runKey(runId) },
        UpdateExpression: `SET ${entries.map((_, index) => `#f${String(index)} = :v${String(index)}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([name], index) => [`#f${String(index)}`, name])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], index) => [`:v${String(index)}`, value])),
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

export function createRunTable(options: { tableName: string; client?: DynamoDBClient; now?: () => number }): RunStore & RunOutboxStore {
  const documents = dynamoDbDocuments(options.client);
  const TableName = options.tableName;
  const table: Table = { documents, TableName, now: options.now ?? Date.now };

  return {
    acquire: (key, holder, leaseMs) => acquireLock(table, key, holder, leaseMs),

    release: (key, runId) => releaseLock(table, key, runId),

    async saveRun(account, record, outbox?: RunOutboxFields): Promise<void> {
      const item = { pk: partition({ account, year: record.year }), sk: runKey(record.runId), ...record, ...outbox };
      await documents.send(new PutCommand({ TableName, Item: item }));
    },

    outboxOf: (key) => outboxOf(table, key),

    markRun: (account, year, runId, fields) => markRun(table, { account, year }, runId, fields),

    async getRun(account, runId): Promise<RolloverRunRecord | undefined> {
      const year = yearOfRunId(runId);
      if (year === undefined) return undefined;
      const answer = await documents.send(new GetCommand({ TableName, Key: { pk: partition({ account, year }), sk: runKey(runId) } }));
      return answer.Item === undefined ? undefined : parseItem(RolloverRunRecordSchema, answer.Item, 'run record');
    },

    async recentRuns(key, limit): Promise<RolloverRunSummary[]> {
      const answer = await documents.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
          ExpressionAttributeValues: { ':pk': partition(key), ':run': 'RUN#' },
          ProjectionExpression: 'runId, #year, phase, #trigger, caller, #status, startedAt, finishedAt, durationMs, outcome',
          ExpressionAttributeNames: { '#year': 'year', '#trigger': 'trigger', '#status': 'status' },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (answer.Items ?? []).map((item) => parseItem(RolloverRunSummarySchema, item, 'run record'));
    },
  };
}
