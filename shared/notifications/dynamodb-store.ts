import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { QueryCommandInput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocuments } from '../runtime/dynamodb.ts';
import * as z from '../zod.ts';
import { DeliveryAttemptSchema, EndpointStateSchema, NotificationEventSchema, NotificationSchema } from './model.ts';
import type { DeliveryAttempt, Notification } from './model.ts';
import type { NotificationListQuery, NotificationPage, NotificationStore } from './store.ts';

/**
 * The notifications table (one per stage). Items under `pk`/`sk`:
 * - `N#<notificationId>` / `N`: the notification; its event is kept as the exact JSON that is sent;
 * - `N#<notificationId>` / `A#<000001>`: one delivery attempt (the delivery log);
 * - `E#<endpointId>` / `STATE`: an endpoint's failing/disabled state;
 * - `SEQ#<account>` / `SEQ`: the account's event sequence counter (publish-adapters.ts, dynamoDbSequenceNumbers).
 * Two indexes list notifications newest first: `byStatus` (listStatus, a copy of status, createdAt) and `byCreatedAt`
 * (listAll, createdAt). The stack creates the table from NOTIFICATIONS_TABLE_KEY, as does npm start.
 */
export const NOTIFICATIONS_TABLE_KEY = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { indexName: 'byStatus', partitionKey: 'listStatus', sortKey: 'createdAt' },
    { indexName: 'byCreatedAt', partitionKey: 'listAll', sortKey: 'createdAt' },
  ],
} as const;

const LIST_ALL = 'N';
const notificationKey = (id: string) => ({ pk: `N#${id}`, sk: 'N' });
const attemptSortKey = (number: number): string => `A#${String(number).padStart(6, '0')}`;
const endpointKey = (id: string) => ({ pk: `E#${id}`, sk: 'STATE' });
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;

/** An item that does not parse is a bug or tampering: say which, never guess. */
function parseItem<T>(schema: z.ZodMiniType<T>, item: unknown, what: string): T {
  const parsed = schema.safeParse(item);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues
    .slice(0, 3)
    .map((issue) => issue.path.join('.') || '(root)')
    .join(', ');
  throw new Error(`The notifications table holds a ${what} that does not parse (at ${where})`);
}

function toItem(notification: Notification): Record<string, unknown> {
  return {
    ...notificationKey(notification.id),
    ...notification,
    event: JSON.stringify(notification.event),
    listAll: LIST_ALL,
    listStatus: notification.status,
  };
}

/** The item without the table's own attributes (keys, index copies). */
function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !['pk', 'sk', 'listAll', 'listStatus'].includes(name)));
}

function fromItem(item: Record<string, unknown>): Notification {
  const { event, ...rest } = withoutKeys(item);
  const parsedEvent = parseItem(NotificationEventSchema, typeof event === 'string' ? JSON.parse(event) : event, 'notification event');
  return parseItem(NotificationSchema, { ...rest, event: parsedEvent }, 'notification');
}

const StartKeySchema = z.record(z.string(), z.string());

function encodeToken(key: Record<string, unknown> | undefined): string | undefined {
  return key === undefined ? undefined : Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** A token the caller changed is their error: RangeError, which the routes answer as 400. */
function decodeToken(token: string): Record<string, string> {
  try {
    return StartKeySchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw new RangeError('nextToken is not one this API gave');
  }
}

function listQuery(TableName: string, query: NotificationListQuery): QueryCommandInput {
  const byStatus = query.status !== undefined;
  const conditions = [byStatus ? 'listStatus = :partition' : 'listAll = :partition'];
  const values: Record<string, string> = { ':partition': query.status ?? LIST_ALL };
  if (query.since !== undefined && query.until !== undefined) {
    conditions.push('createdAt BETWEEN :since AND :until');
    Object.assign(values, { ':since': query.since, ':until': query.until });
  } else if (query.since !== undefined) {
    conditions.push('createdAt >= :since');
    values[':since'] = query.since;
  } else if (query.until !== undefined) {
    conditions.push('createdAt <= :until');
    values[':until'] = query.until;
  }
  return {
    TableName,
    IndexName: byStatus ? 'byStatus' : 'byCreatedAt',
    KeyConditionExpression: conditions.join(' AND '),
    ExpressionAttributeValues: values,
    ScanIndexForward: false,
    Limit: Math.min(MAX_LIMIT, Math.max(1, query.limit ?? DEFAULT_LIMIT)),
    ...(query.nextToken === undefined ? {} : { ExclusiveStartKey: decodeToken(query.nextToken) }),
  };
}

async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

interface Table {
  documents: DynamoDBDocumentClient;
  TableName: string;
}

async function attemptsOf({ documents, TableName }: Table, id: string) {
  const answer = await documents.send(
    new QueryCommand({
      TableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :attempt)',
      ExpressionAttributeValues: { ':pk': notificationKey(id).pk, ':attempt': 'A#' },
      ConsistentRead: true,
    }),
  );
  return (answer.Items ?? []).map((item) => parseItem(DeliveryAttemptSchema, withoutKeys(item), 'delivery attempt'));
}

/**
 * The notification first, conditional on the attempt count it was read with: of two deliveries of
 * one notification, one records its attempt. Dying in between loses a log line, not the notification.
 */
async function recordAttempt({ documents, TableName }: Table, notification: Notification, attempt: DeliveryAttempt): Promise<boolean> {
  const won = await conditional(() =>
    documents.send(
      new PutCommand({
        TableName,
        Item: toItem(notification),
        ConditionExpression: 'attempts = :previous AND #status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':previous': attempt.number - 1, ':pending': 'pending' },
      }),
    ),
  );
  if (won)
    await documents.send(new PutCommand({ TableName, Item: { pk: notificationKey(notification.id).pk, sk: attemptSortKey(attempt.number), ...attempt } }));
  return won;
}

function save({ documents, TableName }: Table, notification: Notification, expected?: { status: string; attempts: number }): Promise<boolean> {
  const condition =
    expected === undefined
      ? {}
      : {
          ConditionExpression: '#status = :status AND attempts = :attempts',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': expected.status, ':attempts': expected.attempts },
        };
  return conditional(() => documents.send(new PutCommand({ TableName, Item: toItem(notification), ...condition })));
}

export function createNotificationsTable(options: { tableName: string; client?: DynamoDBClient }): NotificationStore {
  const documents = dynamoDbDocuments(options.client);
  const TableName = options.tableName;
  const table: Table = { documents, TableName };
  return {
    putNew: (notification) =>
      conditional(() => documents.send(new PutCommand({ TableName, Item: toItem(notification), ConditionExpression: 'attribute_not_exists(pk)' }))),
    async get(id) {
      const answer = await documents.send(new GetCommand({ TableName, Key: notificationKey(id), ConsistentRead: true }));
      return answer.Item === undefined ? undefined : fromItem(answer.Item);
    },
    attempts: (id) => attemptsOf(table, id),
    recordAttempt: (notification, attempt) => recordAttempt(table, notification, attempt),
    save: (notification, expected) => save(table, notification, expected),
    async list(query): Promise<NotificationPage> {
      const answer = await documents.send(new QueryCommand(listQuery(TableName, query)));
      const nextToken = encodeToken(answer.LastEvaluatedKey);
      return { notifications: (answer.Items ?? []).map(fromItem), ...(nextToken === undefined ? {} : { nextToken }) };
    },
    async endpointState(endpointId) {
      const answer = await documents.send(new GetCommand({ TableName, Key: endpointKey(endpointId), ConsistentRead: true }));
      return answer.Item === undefined ? undefined : parseItem(EndpointStateSchema, withoutKeys(answer.Item), 'endpoint state');
    },
    async saveEndpointState(state) {
      await documents.send(new PutCommand({ TableName, Item: { ...endpointKey(state.endpointId), ...state } }));
    },
  };
}
