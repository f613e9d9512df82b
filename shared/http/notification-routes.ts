import * as z from '../zod.ts';
import { NOTIFICATION_STATUSES, NotificationIdSchema } from '../notifications/model.ts';
import type { BulkRedelivered, NotificationDetail, NotificationList, Redelivered } from '../notifications/views.ts';
import { route } from './route-spec.ts';

/** The delivery log and redelivery routes (contract, "Notifications: delivery and the delivery log"). */

/** ISO 8601 with any offset, compared as UTC (the table keeps creation times as toISOString()). */
const Iso = z.pipe(
  z.iso.datetime({ offset: true }),
  z.transform((value) => new Date(value).toISOString()),
);

const NotificationParamsSchema = z.strictObject({ id: NotificationIdSchema });

const ListNotificationsQuerySchema = z.strictObject({
  status: z.optional(z.enum(NOTIFICATION_STATUSES)).check(z.describe('Only notifications in this status')),
  since: z.optional(Iso).check(z.describe('Created at or after (ISO 8601)')),
  until: z.optional(Iso).check(z.describe('Created at or before (ISO 8601)')),
  limit: z
    .optional(z.pipe(z.string().check(z.regex(/^(100|[1-9][0-9]?)$/, 'must be a whole number from 1 to 100')), z.transform(Number)))
    .check(z.describe('Page size, 1-100 (default 50)')),
  nextToken: z.optional(z.string().check(z.maxLength(2048))).check(z.describe('From the previous page')),
});

const RedeliverNotificationsBodySchema = z.strictObject({
  status: z._default(z.literal('failed'), 'failed').check(z.describe('Only failed notifications are redelivered in bulk')),
  since: Iso.check(z.describe('Created at or after (ISO 8601)')),
  until: z.optional(Iso).check(z.describe('Created at or before (ISO 8601)')),
});

const NoBodySchema = z.optional(z.strictObject({}));

export const notificationRoutes = {
  listNotifications: route<NotificationList>()({
    operationId: 'listNotifications',
    entry: 'notifications-list',
    method: 'GET',
    path: '/notifications',
    summary: 'The delivery log: notifications (one per event and endpoint), newest first, by status and creation time',
    params: undefined,
    body: undefined,
    query: ListNotificationsQuerySchema,
    successStatus: 200,
  }),
  getNotification: route<NotificationDetail>()({
    operationId: 'getNotification',
    entry: 'notification-get',
    method: 'GET',
    path: '/notifications/{id}',
    summary: 'One notification: its event and every delivery attempt',
    params: NotificationParamsSchema,
    body: undefined,
    successStatus: 200,
  }),
  redeliverNotification: route<Redelivered>()({
    operationId: 'redeliverNotification',
    entry: 'notification-redeliver',
    method: 'POST',
    path: '/notifications/{id}/redeliver',
    summary: 'Deliver a notification again (same webhook-id, a fresh round of the retry schedule)',
    params: NotificationParamsSchema,
    body: NoBodySchema,
    successStatus: 200,
  }),
  redeliverNotifications: route<BulkRedelivered>()({
    operationId: 'redeliverNotifications',
    entry: 'notifications-redeliver',
    method: 'POST',
    path: '/notifications/redeliver',
    summary: 'Deliver again every failed notification created in a time range (up to 500 per request)',
    params: undefined,
    body: RedeliverNotificationsBodySchema,
    successStatus: 200,
  }),
} as const;
