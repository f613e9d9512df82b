import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext } from './api-gateway-event.ts';

/**
 * What a Lambda SQS event source mapping does, locally: long-polls the queue through the real SDK,
 * hands batches to the function's handler as SQS events of the real shape, and deletes the
 * messages the handler did not report in `batchItemFailures` (ReportBatchItemFailures). Failed
 * messages come back when their visibility timeout ends, as in AWS; a handler that throws deletes
 * nothing.
 */

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface QueuePollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  /**
   * One handler per concurrent batch, as Lambda runs one invocation per container at a time: a
   * handler (and its Powertools processor) is never given two batches at once.
   */
  handlers: readonly SqsHandler[];
  functionName?: string;
  batchSize?: number;
  /** The queue's visibility timeout for received messages (the function's timeout × 6 in AWS). */
  visibilityTimeoutSeconds?: number;
  /** The function's timeout: what its context's getRemainingTimeInMillis starts from (default 60 s). */
  functionTimeoutMs?: number;
  onError?: (error: unknown) => void;
}

export interface QueuePoller {
  /** Batches handed to the handler so far. */
  readonly batches: number;
  stop(): Promise<void>;
}

function toSqsRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'LOCAL',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'eu-west-1',
  };
}

export function startQueuePoller(options: QueuePollerOptions): QueuePoller {
  let running = true;
  let batches = 0;
  const functionName = options.functionName ?? 'notification-delivery';
  const onError = options.onError ?? ((error: unknown) => console.error(`local queue poller: ${error instanceof Error ? error.message : String(error)}`));

  async function pollOnce(handler: SqsHandler): Promise<void> {
    const answer = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: options.batchSize ?? 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: options.visibilityTimeoutSeconds ?? 60,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = answer.Messages ?? [];
    if (messages.length === 0 || !running) return;
    batches += 1;
    const records = messages.map((message) => toSqsRecord(message, options.queueArn));
    const response = await handler({ Records: records }, lambdaContext(functionName, options.functionTimeoutMs ?? 60_000));
    const failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    const done = records.filter((record) => !failed.has(record.messageId));
    if (done.length > 0) {
      await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
    }
  }

  async function worker(handler: SqsHandler): Promise<void> {
    while (running) {
      try {
        await pollOnce(handler);
      } catch (error) {
        if (!running) return;
        onError(error);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  const workers = options.handlers.map((handler) => worker(handler));
  return {
    get batches() {
      return batches;
    },
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}
