import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { sqsClient } from '../runtime/sqs.ts';
import type { NotificationDeadLetterQueue, NotificationQueue } from './store.ts';

/**
 * The delivery queue and its dead-letter queue over SQS (AWS_ENDPOINT_URL_SQS points the SDK at
 * the loopback SQS locally). Bodies are NotificationMessage JSON.
 */

/** SQS's longest DelaySeconds and visibility timeout. */
const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 12 * 3_600;

const body = (notificationId: string): string => JSON.stringify({ notificationId });

export function sqsNotificationQueue(queueUrl: string, sqs: SQSClient = sqsClient()): NotificationQueue {
  return {
    async send(notificationId, delaySeconds) {
      const delay = delaySeconds === undefined ? undefined : Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(delaySeconds)));
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body(notificationId), ...(delay === undefined ? {} : { DelaySeconds: delay }) }),
      );
    },
  };
}

export function sqsDeadLetterQueue(queueUrl: string, sqs: SQSClient = sqsClient()): NotificationDeadLetterQueue {
  return {
    async send(notificationId) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body(notificationId) }));
    },
  };
}

/** Hides a received message for `seconds` (at most 12 h): how waits longer than a delay are made. */
export async function hideMessage(sqs: SQSClient, queueUrl: string, receiptHandle: string, seconds: number): Promise<void> {
  const timeout = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(seconds)));
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: timeout }));
}
