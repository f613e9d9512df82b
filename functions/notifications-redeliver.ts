import { createHttpHandler } from '../shared/http/handler.ts';
import { notificationRoutes } from '../shared/http/notification-routes.ts';
import { createRedeliveries } from '../shared/notifications/delivery-log.ts';

const redeliveries = createRedeliveries();

/** POST /notifications/redeliver: every failed notification created in [since, until], up to 500. */
export const handler = createHttpHandler(notificationRoutes.redeliverNotifications, ({ body }) => redeliveries.failed(body));
