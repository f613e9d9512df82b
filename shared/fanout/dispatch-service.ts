import type { SQSClient } from '@aws-sdk/client-sqs';
import { dynamoDbAccountRegistry } from '../accounts/registry.ts';
import { parseEnv, RunTableNameSchema } from '../runtime/env.ts';
import { sendMessageBatches, sqsClient } from '../runtime/sqs.ts';
import * as z from '../zod.ts';
import { dispatch } from './dispatch.ts';
import type { DispatchRequest, RolloverQueue } from './dispatch.ts';
import { dynamoDbDispatchStore } from './dispatch-store.ts';
import type { Dispatched } from './model.ts';

/** The dispatchers' configuration (POST /rollover/dispatch and the scheduled ticks): no secret, no InvoiceXpress. */
const DispatchEnvSchema = z.object({
  ROLLOVER_TABLE_NAME: RunTableNameSchema,
  IX_ACCOUNTS_TABLE_NAME: RunTableNameSchema,
  ROLLOVER_QUEUE_URL: z.url(),
});

/** SendMessageBatch calls in flight: 10,000 accounts are 1,000 calls, about a second and a half. */
const SEND_CONCURRENCY = 16;

function sqsRolloverQueue(queueUrl: string, sqs: SQSClient = sqsClient()): RolloverQueue {
  return {
    send: (messages) =>
      sendMessageBatches(
        sqs,
        queueUrl,
        messages.map((message) => JSON.stringify(message)),
        { concurrency: SEND_CONCURRENCY },
      ),
  };
}

export function createDispatchService(env: Record<string, string | undefined> = process.env) {
  const parsed = parseEnv(DispatchEnvSchema, env);
  const registry = dynamoDbAccountRegistry({ tableName: parsed.IX_ACCOUNTS_TABLE_NAME });
  const deps = {
    accounts: () => registry.enabled(),
    store: dynamoDbDispatchStore({ tableName: parsed.ROLLOVER_TABLE_NAME }),
    queue: sqsRolloverQueue(parsed.ROLLOVER_QUEUE_URL),
  };
  return {
    dispatch: (request: DispatchRequest): Promise<Dispatched[]> => dispatch(request, deps),
  };
}
