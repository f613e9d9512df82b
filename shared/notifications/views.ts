import * as z from '../zod.ts';
import { DeliveryAttemptSchema, EventTypeSchema, NotificationEventSchema, NotificationStatusSchema } from './model.ts';
import type { DeliveryAttempt, Notification } from './model.ts';

/**
 * What the delivery log routes answer: a notification without anything of its endpoint but the
 * host (never its URL path, query or secret), and its attempts as recorded (answers redacted).
 */
const Iso = z.iso.datetime({ offset: true });

const NotificationSummarySchema = z.object({
  id: z.string().check(z.describe('`<eventId>.<endpointId>`: what /notifications/{id} takes')),
  eventId: z.string().check(z.describe('The webhook-id: the same on every attempt and redelivery')),
  type: EventTypeSchema,
  endpoint: z.string().check(z.describe("The endpoint's host only")),
  endpointId: z.string(),
  status: NotificationStatusSchema,
  attempts: z.number().check(z.int(), z.describe('Attempts ever made')),
  createdAt: Iso,
  updatedAt: Iso,
  nextAttemptAt: z.optional(Iso).check(z.describe('Pending: when the next attempt is due')),
  deliveredAt: z.optional(Iso),
  redeliveredAt: z.optional(Iso),
  lastProblem: z.optional(z.string()),
});
export type NotificationSummary = z.infer<typeof NotificationSummarySchema>;

export const NotificationListSchema = z.object({
  notifications: z.array(NotificationSummarySchema),
  nextToken: z.optional(z.string()).check(z.describe('More match: pass it as nextToken for the next page')),
});
export type NotificationList = z.infer<typeof NotificationListSchema>;

export const NotificationDetailSchema = z.object({
  notification: z.extend(NotificationSummarySchema, { event: NotificationEventSchema }),
  attempts: z.array(DeliveryAttemptSchema).check(z.describe('The delivery log, oldest first; `answer` is the first 1 KB, secrets redacted')),
});
export type NotificationDetail = z.infer<typeof NotificationDetailSchema>;

export const RedeliveredSchema = z.object({ notification: NotificationSummarySchema });
export type Redelivered = z.infer<typeof RedeliveredSchema>;

export const BulkRedeliveredSchema = z.object({
  redelivered: z.array(z.string()).check(z.describe('Ids queued again, newest first')),
  skipped: z.number().check(z.int(), z.describe('Matching notifications refused (their endpoint is disabled)')),
  truncated: z.boolean().check(z.describe('More than 500 matched: send the same request again for the rest')),
});
export type BulkRedelivered = z.infer<typeof BulkRedeliveredSchema>;

export function summaryOf(notification: Notification): NotificationSummary {
  return {
    id: notification.id,
    eventId: notification.event.id,
    type: notification.event.type,
    endpoint: notification.endpointHost,
    endpointId: notification.endpointId,
    status: notification.status,
    attempts: notification.attempts,
    createdAt: notification.createdAt,
    updatedAt: notification.updatedAt,
    ...(notification.nextAttemptAt === undefined ? {} : { nextAttemptAt: notification.nextAttemptAt }),
    ...(notification.deliveredAt === undefined ? {} : { deliveredAt: notification.deliveredAt }),
    ...(notification.redeliveredAt === undefined ? {} : { redeliveredAt: notification.redeliveredAt }),
    ...(notification.lastProblem === undefined ? {} : { lastProblem: notification.lastProblem }),
  };
}

export function detailOf(notification: Notification, attempts: DeliveryAttempt[]): NotificationDetail {
  return { notification: { ...summaryOf(notification), event: notification.event }, attempts };
}
