import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbDocuments } from '../runtime/dynamodb.ts';
import { sendMessageBatches, sqsClient } from '../runtime/sqs.ts';
import { parseEnv } from '../runtime/env.ts';
import * as z from '../zod.ts';
import { eventBridgeBus, printingBus } from './event-bus.ts';
import type { EventBus } from './event-bus.ts';
import { createPublisher } from './publisher.ts';
import type { EventMessage, EventQueue, Publisher, SequenceNumbers } from './publisher.ts';

/** The AWS side of publishing: the queue (SQS), the account's counter (DynamoDB), the bus (EventBridge). */

export function sqsEventQueue(options: { queueUrl: string; client?: SQSClient }): EventQueue {
  const client = options.client ?? sqsClient();
  return {
    sendEvents: (events) =>
      sendMessageBatches(
        client,
        options.queueUrl,
        events.map((event) => JSON.stringify({ event } satisfies EventMessage)),
      ),
  };
}

/** The account's event counter: an item of the notifications table (dynamodb-store.ts lists its items). */
const sequenceCounterKey = (account: string): { pk: string; sk: string } => ({ pk: `SEQ#${account}`, sk: 'SEQ' });

/** One UpdateItem (ADD) reserves `count` numbers: increasing per account, gaps when a reservation is not used. */
export function dynamoDbSequenceNumbers(options: { tableName: string; client?: DynamoDBClient }): SequenceNumbers {
  const documents = dynamoDbDocuments(options.client);
  return {
    async reserve(account, count) {
      const answer = await documents.send(
        new UpdateCommand({
          TableName: options.tableName,
          Key: sequenceCounterKey(account),
          UpdateExpression: 'ADD #value :count',
          ExpressionAttributeNames: { '#value': 'value' },
          ExpressionAttributeValues: { ':count': count },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const last = z.object({ value: z.number() }).parse(answer.Attributes).value;
      return Array.from({ length: count }, (_, index) => last - count + 1 + index);
    },
  };
}

const TableName = z.string().check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'));

/** What a publishing function reads (deployed: all three; npm start: the bus is printed when EVENT_BUS_NAME is unset). */
const PublishEnvSchema = z.object({
  NOTIFICATIONS_TABLE_NAME: TableName,
  NOTIFICATIONS_QUEUE_URL: z.url(),
  EVENT_BUS_NAME: z.optional(z.string().check(z.minLength(1))),
  STAGE: z._default(z.string().check(z.minLength(1)), 'local'),
  LOCAL_RUN: z._default(z.enum(['true', 'false']), 'false'),
});

/** The publisher of a function, from its environment; a bad variable fails at cold start, by name. */
export function publisherFromEnv(
  env: Record<string, string | undefined> = process.env,
  options: { print?: (line: string) => void } = {},
): { publisher: Publisher; stage: string } {
  const parsed = parseEnv(PublishEnvSchema, env);
  if (parsed.EVENT_BUS_NAME === undefined && parsed.LOCAL_RUN !== 'true') {
    throw new Error('Invalid environment variables: EVENT_BUS_NAME: required outside local runs');
  }
  const bus: EventBus =
    parsed.EVENT_BUS_NAME === undefined
      ? printingBus(options.print ?? ((line) => process.stdout.write(`${line}\n`)))
      : eventBridgeBus({ busName: parsed.EVENT_BUS_NAME });
  const publisher = createPublisher({
    queue: sqsEventQueue({ queueUrl: parsed.NOTIFICATIONS_QUEUE_URL }),
    bus,
    numbers: dynamoDbSequenceNumbers({ tableName: parsed.NOTIFICATIONS_TABLE_NAME }),
  });
  return { publisher, stage: parsed.STAGE };
}
