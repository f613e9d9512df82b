import { createHttpHandler } from '../shared/http/handler.ts';
import { notificationRoutes } from '../shared/http/notification-routes.ts';
import { createDeliveryLog } from '../shared/notifications/delivery-log.ts';

const log = createDeliveryLog();

/** GET /notifications/{id}: one notification with its event and every attempt. */
export const handler = createHttpHandler(notificationRoutes.getNotification, ({ params }) => log.get(params.id));
