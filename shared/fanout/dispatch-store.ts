import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocuments, queryItems } from '../runtime/dynamodb.ts';
import * as z from '../zod.ts';

/**
 * A dispatch on record, in the run table under `DISPATCH#<dispatchId>`: its `META` item (what was
 * dispatched, how many accounts, how many are done) and one claim per account (`ACCOUNT#<name>`)
 * that makes each account's run happen once per dispatch, however often SQS or Scheduler deliver
 * it: the first worker to claim it runs it; a copy finds it claimed (and skips) or done. A claim
 * whose worker died expires (its lease), so the message SQS hands back runs it after all. Items
 * expire (TTL) after 30 days.
 */
export const dispatchPartition = (dispatchId: string): string => `DISPATCH#${dispatchId}`;
const META = 'META';
const claimKey = (account: string): string => `ACCOUNT#${account}`;
const RETENTION_SECONDS = 30 * 86_400;

export interface DispatchMeta {
  dispatchId: string;
  phase: string;
  year?: number | undefined;
  trigger: string;
  caller: string;
  createdAt: string;
  expected: number;
}

const ClaimSchema = z.object({
  account: z.string(),
  state: z.enum(['claimed', 'done']),
  year: z.optional(z.int()),
  outcome: z.optional(z.string()),
  status: z.optional(z.string()),
  cause: z.optional(z.string()),
  /** Its failure needs a person and was not paged before: the dispatch's summary names it. */
  alert: z.optional(z.boolean()),
});
export type DispatchClaim = z.infer<typeof ClaimSchema>;

type ClaimAttempt = 'claimed' | 'done' | 'held';

export interface DispatchStore {
  /**
   * Records the dispatch before its messages go out. A tick delivered twice has the same id: the
   * item is kept as it is, and `sent` says whether its messages all went out (else send them again:
   * the claims keep each account's run to one).
   */
  open(meta: DispatchMeta): Promise<'new' | 'sending' | 'sent'>;
  /** Its messages are all on the queue. */
  sent(dispatchId: string): Promise<void>;
  claim(dispatchId: string, account: string, leaseMs: number): Promise<ClaimAttempt>;
  finish(dispatchId: string, claim: Omit<DispatchClaim, 'state'>): Promise<void>;
  /** Counts one more account done; the dispatch's counts after it. */
  countDone(dispatchId: string): Promise<{ done: number; expected?: number | undefined; phase?: string | undefined }>;
  /** True for the one caller that gets to summarize the dispatch. */
  takeSummary(dispatchId: string): Promise<boolean>;
  claims(dispatchId: string): Promise<DispatchClaim[]>;
}

const conditionFailed = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

interface Table {
  documents: DynamoDBDocumentClient;
  TableName: string;
  now: () => number;
}

const key = (dispatchId: string, sk: string) => ({ pk: dispatchPartition(dispatchId), sk });
const expiresAt = (table: Table): number => Math.floor(table.now() / 1000) + RETENTION_SECONDS;

async function openDispatch(table: Table, meta: DispatchMeta): Promise<'new' | 'sending' | 'sent'> {
  const { documents, TableName } = table;
  try {
    await documents.send(
      new PutCommand({
        TableName,
        Item: { ...key(meta.dispatchId, META), ...meta, done: 0, expiresAt: expiresAt(table) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return 'new';
  } catch (error) {
    if (!conditionFailed(error)) throw error;
    const answer = await documents.send(new GetCommand({ TableName, Key: key(meta.dispatchId, META), ConsistentRead: true }));
    return answer.Item?.['sentAt'] === undefined ? 'sending' : 'sent';
  }
}

async function claimAccount(table: Table, dispatchId: string, account: string, leaseMs: number): Promise<ClaimAttempt> {
  const { documents, TableName, now } = table;
  try {
    await documents.send(
      new PutCommand({
        TableName,
        Item: { ...key(dispatchId, claimKey(account)), account, state: 'claimed', leaseUntil: now() + leaseMs, expiresAt: expiresAt(table) },
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :claimed AND leaseUntil < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':claimed': 'claimed', ':now': now() },
      }),
    );
    return 'claimed';
  } catch (error) {
    if (!conditionFailed(error)) throw error;
    const answer = await documents.send(new GetCommand({ TableName, Key: key(dispatchId, claimKey(account)), ConsistentRead: true }));
    return answer.Item?.['state'] === 'done' ? 'done' : 'held';
  }
}

async function takeSummary({ documents, TableName, now }: Table, dispatchId: string): Promise<boolean> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName,
        Key: key(dispatchId, META),
        UpdateExpression: 'SET summarizedAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(summarizedAt)',
        ExpressionAttributeValues: { ':at': new Date(now()).toISOString() },
      }),
    );
    return true;
  } catch (error) {
    if (conditionFailed(error)) return false;
    throw error;
  }
}

function claimsOf({ documents, TableName }: Table, dispatchId: string): Promise<DispatchClaim[]> {
  const input = {
    TableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :claim)',
    ExpressionAttributeValues: { ':pk': dispatchPartition(dispatchId), ':claim': 'ACCOUNT#' },
  };
  return queryItems(documents, input, (item) => ClaimSchema.parse(item));
}

/** A dispatch without its record (expired, or a message sent by hand) has no `expected`: it is never summarized. */
const CountsSchema = z.object({ done: z.int(), expected: z.optional(z.int()), phase: z.optional(z.string()) });

export function dynamoDbDispatchStore(options: { tableName: string; client?: DynamoDBClient; now?: () => number }): DispatchStore {
  const table: Table = { documents: dynamoDbDocuments(options.client), TableName: options.tableName, now: options.now ?? Date.now };
  const { documents, TableName } = table;
  return {
    open: (meta) => openDispatch(table, meta),
    async sent(dispatchId) {
      const at = new Date(table.now()).toISOString();
      await documents.send(
        new UpdateCommand({ TableName, Key: key(dispatchId, META), UpdateExpression: 'SET sentAt = :at', ExpressionAttributeValues: { ':at': at } }),
      );
    },
    claim: (dispatchId, account, leaseMs) => claimAccount(table, dispatchId, account, leaseMs),
    async finish(dispatchId, claim) {
      const item = { ...key(dispatchId, claimKey(claim.account)), ...claim, state: 'done', expiresAt: expiresAt(table) };
      await documents.send(new PutCommand({ TableName, Item: item }));
    },
    async countDone(dispatchId) {
      const answer = await documents.send(
        new UpdateCommand({
          TableName,
          Key: key(dispatchId, META),
          UpdateExpression: 'ADD done :one',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return CountsSchema.parse(answer.Attributes);
    },
    takeSummary: (dispatchId) => takeSummary(table, dispatchId),
    claims: (dispatchId) => claimsOf(table, dispatchId),
  };
}
