import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { dynamoDbDocuments } from '../runtime/dynamodb.ts';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SequenceSchema } from './sequence.ts';
import * as z from '../zod.ts';
import type { LeaseKey, LeaseState, RegistrationLeases, StoredOutcome } from './registration-lease.ts';

/**
 * The registration leases in the run table (the rollover's, shared/rollover/run-table.ts): one
 * item per account and sequence, `pk` `<account>#sequence#<id>`, `sk` REGISTER. A conditional
 * PutItem takes it (free, expired, or finished); `expiresAt` (epoch seconds) is the lease and the
 * table's TTL. Releasing rewrites it with the outcome (kept OUTCOME_KEEP_MS for those waiting) or
 * deletes it, both only while it is still the holder's.
 */

/** The partitions of registration leases: the IAM grant of the sequence functions is limited to them. */
export const REGISTRATION_LEASE_PARTITION = '#sequence#';
const SORT_KEY = 'REGISTER';
/** Those waiting read the outcome within their own deadline (at most 28 s behind API Gateway). */
const OUTCOME_KEEP_MS = 30_000;

const partition = (key: LeaseKey): string => `${key.account}${REGISTRATION_LEASE_PARTITION}${String(key.sequenceId)}`;

const MessagesSchema = z.array(z.string());
const OutcomeSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('registered'), sequence: SequenceSchema }),
  z.object({ status: z.literal('name_refused'), sequence: SequenceSchema, reason: z.string(), messages: MessagesSchema }),
  z.object({
    status: z.literal('not_registered'),
    sequence: SequenceSchema,
    why: z.enum(['account', 'unknown', 'in_progress', 'unclear']),
    reason: z.string(),
    messages: MessagesSchema,
    error: z.optional(
      z.object({
        kind: z.enum([
          'unauthorized',
          'not_found',
          'serie_exists',
          'invalid_state',
          'rejected',
          'rate_limited',
          'timeout',
          'network',
          'upstream',
          'malformed_response',
        ]),
        status: z.optional(z.int()),
        message: z.string(),
      }),
    ),
  }),
]);

const ItemSchema = z.object({
  holderId: z.string(),
  via: z.optional(z.enum(['register', 'create', 'rollover'])),
  acquiredAt: z.optional(z.string()),
  expiresAt: z.number(),
  outcome: z.optional(OutcomeSchema),
});

function stateOf(item: Record<string, unknown> | undefined, nowMs: number): LeaseState {
  if (item === undefined) return { state: 'free' };
  const parsed = ItemSchema.safeParse(item);
  if (!parsed.success) throw new Error('The run table holds a registration lease that does not parse');
  const { holderId, via, acquiredAt, expiresAt, outcome } = parsed.data;
  if (outcome !== undefined) return { state: 'finished', holderId, outcome: outcome satisfies StoredOutcome };
  if (expiresAt < Math.floor(nowMs / 1000) || via === undefined || acquiredAt === undefined) return { state: 'free' };
  return { state: 'held', holder: { holderId, via, acquiredAt } };
}

export function createRegistrationLeaseTable(options: { tableName: string; client?: DynamoDBClient; now?: () => number }): RegistrationLeases {
  const documents = dynamoDbDocuments(options.client);
  const TableName = options.tableName;
  const now = options.now ?? Date.now;
  const Key = (key: LeaseKey) => ({ pk: partition(key), sk: SORT_KEY });
  const ours = { ConditionExpression: 'holderId = :holderId' };

  const leases: RegistrationLeases = {
    async acquire(key, holder, leaseMs) {
      const at = now();
      try {
        await documents.send(
          new PutCommand({
            TableName,
            Item: { ...Key(key), ...holder, expiresAt: Math.ceil((at + leaseMs) / 1000) },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR attribute_exists(outcome)',
            ExpressionAttributeValues: { ':now': Math.floor(at / 1000) },
          }),
        );
        return { acquired: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return { acquired: false, current: await leases.read(key) };
      }
    },

    async read(key) {
      const answer = await documents.send(new GetCommand({ TableName, Key: Key(key), ConsistentRead: true }));
      return stateOf(answer.Item, now());
    },

    async release(key, holderId, outcome) {
      const values = { ':holderId': holderId };
      try {
        if (outcome === undefined) {
          await documents.send(new DeleteCommand({ TableName, Key: Key(key), ...ours, ExpressionAttributeValues: values }));
          return;
        }
        const expiresAt = Math.ceil((now() + OUTCOME_KEEP_MS) / 1000);
        await documents.send(new PutCommand({ TableName, Item: { ...Key(key), holderId, outcome, expiresAt }, ...ours, ExpressionAttributeValues: values }));
      } catch (error) {
        // Our lease expired and another caller took it: it is theirs now.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
  return leases;
}
