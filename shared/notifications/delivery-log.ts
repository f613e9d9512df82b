import { ApiError } from '../http/api-error.ts';
import { parseEnv, RunTableNameSchema } from '../runtime/env.ts';
import * as z from '../zod.ts';
import { createNotificationsTable } from './dynamodb-store.ts';
import { redeliverFailed, redeliverOne } from './redelivery.ts';
import { sqsNotificationQueue } from './sqs-queue.ts';
import type { NotificationListQuery, NotificationStore } from './store.ts';
import { detailOf, summaryOf } from './views.ts';
import type { BulkRedelivered, NotificationDetail, NotificationList, Redelivered } from './views.ts';

/**
 * The delivery log routes' work: reads of the notifications table, and redelivery (the table and
 * the delivery queue). Never the webhooks' secret: these functions cannot read it.
 */

const LogEnvSchema = z.object({ NOTIFICATIONS_TABLE_NAME: RunTableNameSchema });
const RedeliveryEnvSchema = z.extend(LogEnvSchema, { NOTIFICATIONS_QUEUE_URL: z.url() });

type Env = Record<string, string | undefined>;

export function createDeliveryLog(env: Env = process.env, store?: NotificationStore) {
  const table = store ?? createNotificationsTable({ tableName: parseEnv(LogEnvSchema, env).NOTIFICATIONS_TABLE_NAME });
  return {
    async list(query: NotificationListQuery): Promise<NotificationList> {
      try {
        const page = await table.list(query);
        return { notifications: page.notifications.map(summaryOf), ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }) };
      } catch (error) {
        if (error instanceof RangeError)
          throw new ApiError(400, 'invalid_request', 'The request is not valid', { details: [{ path: 'query.nextToken', message: error.message }] });
        throw error;
      }
    },
    async get(id: string): Promise<NotificationDetail> {
      const [notification, attempts] = await Promise.all([table.get(id), table.attempts(id)]);
      if (notification === undefined) throw new ApiError(404, 'not_found', `No notification ${id}`);
      return detailOf(notification, attempts);
    },
  };
}

export function createRedeliveries(env: Env = process.env, store?: NotificationStore) {
  const parsed = parseEnv(RedeliveryEnvSchema, env);
  const deps = {
    store: store ?? createNotificationsTable({ tableName: parsed.NOTIFICATIONS_TABLE_NAME }),
    queue: sqsNotificationQueue(parsed.NOTIFICATIONS_QUEUE_URL),
  };
  return {
    async one(id: string): Promise<Redelivered> {
      const outcome = await redeliverOne(deps, id);
      if (outcome.kind === 'not_found') throw new ApiError(404, 'not_found', `No notification ${id}`);
      if (outcome.kind === 'refused') throw new ApiError(409, 'invalid_state', `Not redelivered: ${outcome.reason}`);
      return { notification: summaryOf(outcome.notification) };
    },
    failed: (range: { since: string; until?: string | undefined }): Promise<BulkRedelivered> => redeliverFailed(deps, range),
  };
}
