import { createHttpHandler } from '../shared/http/handler.ts';
import { notificationRoutes } from '../shared/http/notification-routes.ts';
import { createDeliveryLog } from '../shared/notifications/delivery-log.ts';

const log = createDeliveryLog();

/** GET /notifications: the delivery log, newest first, by status and creation time. */
export const handler = createHttpHandler(notificationRoutes.listNotifications, ({ query }) => log.list(query));
