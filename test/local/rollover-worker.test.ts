import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { yearIn } from '../../shared/rollover/time.ts';
import { jsonBody, startApiHarness } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';

/**
 * The rollover worker over the local rollover queue (local/rollover-worker.ts), driven through the
 * handler harness: accounts registered with the account-put function, a dispatch, the worker's
 * fresh handlers draining the queue one message per invocation; and the queue's redrive: a message
 * the worker keeps failing goes to the dead-letter queue after 3 receives, as the stack sets it.
 */

const NEXT = yearIn(new Date()) + 1;

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api?.close();
});

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the local rollover worker', () => {
  it('runs each dispatched account once, one message per invocation, two invocations at a time', async () => {
    for (const name of ['alpha', 'beta']) {
      const registered = await api.registerAccount(name, `k-worker-test-${name}-5d1c`);
      expect(registered.status).toBe(200);
    }
    const worker = await api.startRolloverWorker({ concurrency: 2, functionTimeoutMs: 60_000 });
    const dispatched = await api.invoke('dispatchRollover', jsonBody({ phase: 'prepare' }));
    expect(dispatched.json).toMatchObject({ phase: 'prepare', accounts: 2 });
    const counts = await until(
      async () => (await api.invoke('rolloverAccounts', { pathParameters: { year: String(NEXT) } })).json['counts'],
      (value) => (value as { not_started: number }).not_started === 0,
      10_000,
    );
    expect(counts).toEqual({ ready: 2, activated: 0, failed: 0, not_started: 0 });
    await worker.close();
    expect(worker.poller.batches).toBe(2);
    for (const name of ['alpha', 'beta']) {
      expect(api.sandbox.account(name)?.requests.filter((request) => request.operation === 'create')).toHaveLength(1);
    }
  });

  it('a message it cannot record comes back after its visibility timeout, and after 3 receives goes to the dead-letter queue', async () => {
    // A run table that does not exist: the claim fails, the message is a batch item failure.
    const worker = await api.startRolloverWorker({
      concurrency: 1,
      visibilityTimeoutSeconds: 1,
      env: { ...process.env, ROLLOVER_TABLE_NAME: 'no-such-run-table' },
      onError: () => undefined,
    });
    const body = JSON.stringify({ v: 1, dispatchId: 'prepare-20261201T000000Z', account: 'alpha', phase: 'prepare', trigger: 'dispatch', caller: 'test' });
    const sqs = new SQSClient({ endpoint: api.rollover.sqs.url, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await sqs.send(new SendMessageCommand({ QueueUrl: api.rollover.queueUrl, MessageBody: body }));
    const dead = await until(
      () => Promise.resolve(api.rollover.sqs.bodies(api.rollover.deadLetterQueueUrl)),
      (bodies) => bodies.length > 0,
      10_000,
    );
    await worker.close();
    sqs.destroy();
    expect(dead).toEqual([body]);
    expect(worker.poller.batches).toBe(3);
    expect(api.rollover.sqs.bodies(api.rollover.queueUrl)).toEqual([]);
  });
});
