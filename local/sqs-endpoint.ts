import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { listenOnLoopback, readBody } from '../sandbox/loopback.ts';

/**
 * A loopback stand-in for the SQS calls the service and its local poller make (AWS JSON 1.0, as
 * @aws-sdk/client-sqs speaks it): SendMessage(Batch) (DelaySeconds), ReceiveMessage (long polling,
 * visibility timeout), DeleteMessage(Batch), ChangeMessageVisibility, GetQueueAttributes,
 * PurgeQueue, and a redrive to a dead-letter queue after maxReceiveCount receives. Pointing
 * AWS_ENDPOINT_URL_SQS at it lets `npm start`, the tests and the bench use the real SDK path.
 */

interface StoredMessage {
  id: string;
  body: string;
  md5: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  receiptHandle?: string;
}

interface LocalQueue {
  name: string;
  url: string;
  arn: string;
  messages: StoredMessage[];
  deadLetter?: { queue: LocalQueue; maxReceiveCount: number };
}

export interface LocalSqs {
  readonly url: string;
  /** Creates a queue (with a dead-letter queue after `maxReceiveCount` receives); returns its URL. */
  createQueue(name: string, options?: { deadLetterQueueUrl?: string; maxReceiveCount?: number }): string;
  arnOf(queueUrl: string): string;
  /** Messages in the queue, visible or not (the tests' view of the dead-letter queue). */
  bodies(queueUrl: string): string[];
  close(): Promise<void>;
}

type Input = Record<string, unknown>;
class SqsFault extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const seconds = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);

function receive(queue: LocalQueue, input: Input, now: number): Input[] {
  const max = Math.min(10, Math.max(1, seconds(input['MaxNumberOfMessages'], 1)));
  const visibility = seconds(input['VisibilityTimeout'], 30);
  const out: Input[] = [];
  for (const message of [...queue.messages]) {
    if (out.length >= max) break;
    if (message.visibleAt > now) continue;
    if (queue.deadLetter !== undefined && message.receiveCount >= queue.deadLetter.maxReceiveCount) {
      queue.messages.splice(queue.messages.indexOf(message), 1);
      queue.deadLetter.queue.messages.push({ ...message, visibleAt: now, receiveCount: 0 });
      continue;
    }
    message.receiveCount += 1;
    message.firstReceivedAt ??= now;
    message.visibleAt = now + visibility * 1000;
    message.receiptHandle = `${message.id}#${randomUUID()}`;
    out.push({
      MessageId: message.id,
      ReceiptHandle: message.receiptHandle,
      MD5OfBody: message.md5,
      Body: message.body,
      Attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
        SenderId: 'LOCAL',
      },
    });
  }
  return out;
}

function byHandle(queue: LocalQueue, handle: unknown): StoredMessage {
  const message = queue.messages.find((candidate) => candidate.receiptHandle === handle);
  if (message === undefined) throw new SqsFault('ReceiptHandleIsInvalid', 'The receipt handle is not the latest of a message in this queue');
  return message;
}

function operate(queue: LocalQueue, operation: string, input: Input, changed: EventEmitter): Input {
  const now = Date.now();
  switch (operation) {
    case 'SendMessage': {
      const body = typeof input['MessageBody'] === 'string' ? input['MessageBody'] : '';
      const id = randomUUID();
      queue.messages.push({ id, body, md5: md5(body), sentAt: now, visibleAt: now + seconds(input['DelaySeconds'], 0) * 1000, receiveCount: 0 });
      changed.emit('changed');
      return { MessageId: id, MD5OfMessageBody: md5(body) };
    }
    case 'SendMessageBatch': {
      const entries = (input['Entries'] ?? []) as { Id: string; MessageBody?: unknown; DelaySeconds?: unknown }[];
      const successful = entries.map((entry) => ({
        Id: entry.Id,
        ...operate(queue, 'SendMessage', { MessageBody: entry.MessageBody, DelaySeconds: entry.DelaySeconds }, changed),
      }));
      return { Successful: successful, Failed: [] };
    }
    case 'DeleteMessage':
      queue.messages.splice(queue.messages.indexOf(byHandle(queue, input['ReceiptHandle'])), 1);
      return {};
    case 'DeleteMessageBatch': {
      const entries = (input['Entries'] ?? []) as { Id: string; ReceiptHandle: string }[];
      for (const entry of entries) {
        const index = queue.messages.findIndex((message) => message.receiptHandle === entry.ReceiptHandle);
        if (index >= 0) queue.messages.splice(index, 1);
      }
      return { Successful: entries.map((entry) => ({ Id: entry.Id })), Failed: [] };
    }
    case 'ChangeMessageVisibility':
      byHandle(queue, input['ReceiptHandle']).visibleAt = now + seconds(input['VisibilityTimeout'], 0) * 1000;
      changed.emit('changed');
      return {};
    case 'GetQueueAttributes': {
      const visible = queue.messages.filter((message) => message.visibleAt <= now).length;
      const hidden = queue.messages.filter((message) => message.visibleAt > now && message.receiveCount > 0).length;
      return {
        Attributes: {
          ApproximateNumberOfMessages: String(visible),
          ApproximateNumberOfMessagesNotVisible: String(hidden),
          ApproximateNumberOfMessagesDelayed: String(queue.messages.length - visible - hidden),
          QueueArn: queue.arn,
        },
      };
    }
    case 'PurgeQueue':
      queue.messages.length = 0;
      return {};
    default:
      throw new SqsFault('UnsupportedOperation', `${operation} is not served by the local SQS`);
  }
}

/** ReceiveMessage: at once when messages are visible, else when one becomes so, within WaitTimeSeconds. */
async function longPoll(queue: LocalQueue, input: Input, changed: EventEmitter, closed: () => boolean): Promise<Input> {
  const until = Date.now() + Math.min(20, seconds(input['WaitTimeSeconds'], 0)) * 1000;
  for (;;) {
    const messages = receive(queue, input, Date.now());
    const now = Date.now();
    if (messages.length > 0 || now >= until || closed()) return messages.length > 0 ? { Messages: messages } : {};
    const nextVisible = Math.min(...queue.messages.map((message) => message.visibleAt), until);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(1, nextVisible - now));
      function done(): void {
        clearTimeout(timer);
        changed.off('changed', done);
        resolve();
      }
      changed.once('changed', done);
    });
  }
}

export async function startLocalSqs(): Promise<LocalSqs> {
  const queues = new Map<string, LocalQueue>();
  const changed = new EventEmitter().setMaxListeners(0);
  let closed = false;
  const server = createServer((request, response) => {
    void readBody(request).then(async (raw) => {
      const answer = (status: number, body: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(body));
      };
      try {
        const operation = String(request.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
        const input = JSON.parse(raw.toString('utf8') || '{}') as Input;
        const queue = queues.get(String(input['QueueUrl']));
        if (queue === undefined) throw new SqsFault('AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist');
        answer(200, operation === 'ReceiveMessage' ? await longPoll(queue, input, changed, () => closed) : operate(queue, operation, input, changed));
      } catch (error) {
        const type = error instanceof SqsFault ? error.type : 'InternalError';
        answer(400, { __type: `com.amazonaws.sqs#${type}`, message: error instanceof Error ? error.message : 'error' });
      }
    });
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    createQueue(name, options = {}) {
      const queueUrl = `${url}/000000000000/${name}`;
      const deadLetter = options.deadLetterQueueUrl === undefined ? undefined : queues.get(options.deadLetterQueueUrl);
      queues.set(queueUrl, {
        name,
        url: queueUrl,
        arn: `arn:aws:sqs:eu-west-1:000000000000:${name}`,
        messages: [],
        ...(deadLetter === undefined ? {} : { deadLetter: { queue: deadLetter, maxReceiveCount: options.maxReceiveCount ?? 100 } }),
      });
      return queueUrl;
    },
    arnOf: (queueUrl) => queues.get(queueUrl)?.arn ?? 'arn:aws:sqs:eu-west-1:000000000000:unknown',
    bodies: (queueUrl) => (queues.get(queueUrl)?.messages ?? []).map((message) => message.body),
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        changed.emit('changed');
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
