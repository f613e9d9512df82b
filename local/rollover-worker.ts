import { SQSClient } from '@aws-sdk/client-sqs';
import type { RolloverWorkerHandler } from '../shared/fanout/worker-service.ts';
import { startQueuePoller } from './queue-poller.ts';
import type { QueuePoller } from './queue-poller.ts';
import type { LocalSqs } from './sqs-endpoint.ts';

/**
 * The rollover fan-out, locally. `createLocalRolloverQueues`: the rollover queue and its
 * dead-letter queue in the loopback SQS (startLocalAws creates them, so POST /rollover/dispatch
 * finds ROLLOVER_QUEUE_URL). `startLocalRolloverWorker`: what the worker's SQS event source does
 * in AWS, over that queue: `concurrency` invocations at a time (its maxConcurrency), each running
 * the worker function's handler on a batch. The accounts are the queue's messages: nothing here
 * loops over accounts.
 */

export interface LocalRolloverQueues {
  readonly sqs: LocalSqs;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** ROLLOVER_QUEUE_URL, as the dispatch functions read it. */
  readonly environment: Record<string, string>;
}

/** A message the worker fails this often goes to the dead-letter queue (a run table or queue call that keeps failing). */
const MAX_RECEIVE_COUNT = 3;

export function createLocalRolloverQueues(sqs: LocalSqs): LocalRolloverQueues {
  const deadLetterQueueUrl = sqs.createQueue('ix-sequences-local-rollover-dlq');
  const queueUrl = sqs.createQueue('ix-sequences-local-rollover', { deadLetterQueueUrl, maxReceiveCount: MAX_RECEIVE_COUNT });
  return { sqs, queueUrl, deadLetterQueueUrl, environment: { ROLLOVER_QUEUE_URL: queueUrl } };
}

export interface LocalRolloverWorkerOptions {
  /** The queue to drain (the loopback SQS may be another process's: the bench's). */
  queues: Pick<LocalRolloverQueues, 'queueUrl'> & { sqs: Pick<LocalSqs, 'url' | 'arnOf'> };
  /**
   * 'module' (npm start): functions/rollover-worker.ts as deployed, one module instance per
   * concurrent invocation (as Lambda gives each its own container); 'fresh' (tests, bench):
   * `concurrency` handlers from createRolloverWorkerHandler(env).
   */
  handler?: 'module' | 'fresh';
  /** Invocations at a time, as the event source's maxConcurrency (default 4). */
  concurrency?: number;
  /** Messages per invocation (default 1). */
  batchSize?: number;
  /** The function's timeout (default 150 s, the stack's WORKER_TIMEOUT): each batch's deadline. */
  functionTimeoutMs?: number;
  /** How long a received message stays hidden (default: the function's timeout × 6, as AWS advises). */
  visibilityTimeoutSeconds?: number;
  /** 'fresh' only: the environment the handlers are built from (default process.env). */
  env?: Record<string, string | undefined>;
  onError?: (error: unknown) => void;
}

export interface LocalRolloverWorker {
  readonly poller: QueuePoller;
  close(): Promise<void>;
}

const DEFAULT_CONCURRENCY = 4;
/** As infra/constructs/function-specs.ts sets it (not imported: that would load the CDK into npm start). */
const DEFAULT_FUNCTION_TIMEOUT_MS = 150_000;

async function loadHandlers(options: LocalRolloverWorkerOptions, concurrency: number): Promise<RolloverWorkerHandler[]> {
  const lanes = Array.from({ length: concurrency }, (_, index) => index + 1);
  if (options.handler === 'fresh') {
    // Imported here, not at the top: the worker's modules read the environment when they load.
    const { createRolloverWorkerHandler } = await import('../shared/fanout/worker-service.ts');
    return lanes.map(() => createRolloverWorkerHandler(options.env ?? process.env));
  }
  // A query makes each import a module instance of its own: its own handler, Powertools batch
  // processor and secret caches, never given two batches at once.
  return Promise.all(
    lanes.map((lane) =>
      import(`../functions/rollover-worker.ts?container=${String(lane)}`).then((module: { handler: RolloverWorkerHandler }) => module.handler),
    ),
  );
}

export async function startLocalRolloverWorker(options: LocalRolloverWorkerOptions): Promise<LocalRolloverWorker> {
  const { queues } = options;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const functionTimeoutMs = options.functionTimeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS;
  const handlers = await loadHandlers(options, concurrency);
  const client = new SQSClient({ endpoint: queues.sqs.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const poller = startQueuePoller({
    sqs: client,
    queueUrl: queues.queueUrl,
    queueArn: queues.sqs.arnOf(queues.queueUrl),
    handlers,
    functionName: 'rollover-worker',
    batchSize: options.batchSize ?? 1,
    functionTimeoutMs,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? Math.ceil((functionTimeoutMs * 6) / 1000),
    onError: options.onError,
  });
  return {
    poller,
    async close() {
      await poller.stop();
      client.destroy();
    },
  };
}
