import { createHttpHandler } from '../shared/http/handler.ts';
import { notificationRoutes } from '../shared/http/notification-routes.ts';
import { createRedeliveries } from '../shared/notifications/delivery-log.ts';

const redeliveries = createRedeliveries();

/** POST /notifications/{id}/redeliver: back to pending with a fresh round, a new queue message. */
export const handler = createHttpHandler(notificationRoutes.redeliverNotification, ({ params }) => redeliveries.one(params.id));
