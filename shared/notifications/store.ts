import type { DeliveryAttempt, EndpointState, Notification, NotificationStatus } from './model.ts';

/** What the delivery log lists: newest first, by creation time. */
export interface NotificationListQuery {
  status?: NotificationStatus | undefined;
  /** ISO; notifications created at or after it. */
  since?: string | undefined;
  /** ISO; notifications created before it. */
  until?: string | undefined;
  /** Page size (default 50, at most 100). */
  limit?: number | undefined;
  /** Opaque, from the previous page. */
  nextToken?: string | undefined;
}

export interface NotificationPage {
  notifications: Notification[];
  nextToken?: string | undefined;
}

/** The notifications table (dynamodb-store.ts; in memory in some tests). */
export interface NotificationStore {
  /** Conditional: false (nothing written) when a notification with this id exists. */
  putNew(notification: Notification): Promise<boolean>;
  get(id: string): Promise<Notification | undefined>;
  /** The delivery log of one notification, oldest first. */
  attempts(id: string): Promise<DeliveryAttempt[]>;
  /**
   * Records `attempt` (its number is `notification.attempts`) and saves `notification` as it is
   * after it. Conditional on nobody having recorded that attempt number: false (the notification
   * untouched) when another delivery of the same notification got there first.
   */
  recordAttempt(notification: Notification, attempt: DeliveryAttempt): Promise<boolean>;
  /**
   * Saves a notification whose state changed without an attempt (a redelivery, a disabled
   * endpoint). With `expected`: only if the stored one still has that status and attempt count
   * (false otherwise, nothing written).
   */
  save(notification: Notification, expected?: { status: NotificationStatus; attempts: number }): Promise<boolean>;
  list(query: NotificationListQuery): Promise<NotificationPage>;
  endpointState(endpointId: string): Promise<EndpointState | undefined>;
  saveEndpointState(state: EndpointState): Promise<void>;
}

/** The delivery queue: one message per notification to attempt. */
export interface NotificationQueue {
  /** `delaySeconds` at most 900 (SQS's limit); longer waits use the visibility timeout. */
  send(notificationId: string, delaySeconds?: number): Promise<void>;
}

/** The dead-letter queue: notifications whose schedule is exhausted (one alarm on it not being empty). */
export interface NotificationDeadLetterQueue {
  send(notificationId: string): Promise<void>;
}
