import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { forEachLimited } from './concurrency.ts';

let client: SQSClient | undefined;

/** The container's one SQS client (AWS_ENDPOINT_URL_SQS points it at the loopback SQS locally). */
export function sqsClient(): SQSClient {
  client ??= new SQSClient({});
  return client;
}

/** SendMessageBatch takes at most this many messages. */
const MESSAGES_PER_CALL = 10;

/**
 * Sends every body, ten to a SendMessageBatch call, `concurrency` calls at a time. Entries SQS
 * refuses in a batch (throttling, an internal error) are sent once more; still refused, it throws
 * naming how many and why (the caller decides whether the whole send is retried).
 */
export async function sendMessageBatches(sqs: SQSClient, queueUrl: string, bodies: readonly string[], options: { concurrency?: number } = {}): Promise<void> {
  const batches: string[][] = [];
  for (let start = 0; start < bodies.length; start += MESSAGES_PER_CALL) batches.push(bodies.slice(start, start + MESSAGES_PER_CALL));
  const send = async (batch: readonly string[]): Promise<void> => {
    let pending = batch.map((body, index) => ({ Id: String(index), MessageBody: body }));
    for (let round = 0; round < 2 && pending.length > 0; round++) {
      const answer = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      const failed = new Set((answer.Failed ?? []).map((failure) => failure.Id));
      const codes = [...new Set((answer.Failed ?? []).map((failure) => failure.Code))];
      pending = pending.filter((entry) => failed.has(entry.Id));
      if (round === 1 && pending.length > 0) throw new Error(`SQS refused ${String(pending.length)} of ${String(batch.length)} messages (${codes.join(', ')})`);
    }
  };
  await forEachLimited(batches, options.concurrency ?? 1, send);
}
