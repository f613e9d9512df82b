import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalAws } from '../../local/local-aws.ts';
import type { LocalAws } from '../../local/local-aws.ts';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox } from '../../sandbox/types.ts';
import type { RolloverResult } from '../../shared/rollover/result.ts';
import { rolloverLogLines, silenceOutput } from '../support/log-scan.ts';

/**
 * A scheduled run that cannot start (its secret cannot be read) ends as a failed run, without
 * throwing: one notification (its log line) rather than a page and a DLQ message. An activation
 * is retried by the next quarter hour and does not page; a prepare or verify pages.
 */

let sandbox: Sandbox;
let aws: LocalAws;
let handler: (event: unknown, context: Context) => Promise<RolloverResult>;
let output: ReturnType<typeof silenceOutput>;

const context = (): Context =>
  ({ awsRequestId: randomUUID(), functionName: 'rollover-scheduled', getRemainingTimeInMillis: () => 60_000 }) as unknown as Context;

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: 'k-not-run-0c4d' });
  aws = await startLocalAws(sandbox, 'test');
  aws.secretsManager.failWith('ResourceNotFoundException');
  Object.assign(process.env, aws.environment, { POWERTOOLS_LOG_LEVEL: 'INFO' });
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true, now: new Date('2027-01-01T00:15:00Z') });
  output = silenceOutput();
  handler = (await import('../../functions/rollover-scheduled.ts')).handler;
});
afterAll(async () => {
  output.restore();
  vi.useRealTimers();
  await Promise.all([sandbox.close(), aws.close()]);
});

function lineOf(before: number): Record<string, unknown> {
  const lines = rolloverLogLines(output.lines().slice(before));
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
}

describe('a scheduled run that cannot start', () => {
  it('activation: failed (not_run), logged without an alarm, nothing thrown', async () => {
    const before = output.lines().length;
    const result = await handler({ phase: 'activate', scheduledTime: '2027-01-01T00:15:00Z', schedule: 'activate' }, context());
    expect(result).toMatchObject({ outcome: 'failed', year: 2027, serie: '2027', failure: { kind: 'not_run' } });
    expect(result.failure?.message).toContain('ResourceNotFoundException');
    const line = lineOf(before);
    expect(line['alarm']).toBeUndefined();
    expect(sandbox.requests).toHaveLength(0);
    // Retried by the next quarter hour: nothing for a person, so no rollover.failed either.
    expect(queuedEvents()).toEqual([]);
  });

  it('verify: failed (not_run) and pages', async () => {
    const before = output.lines().length;
    const result = await handler({ phase: 'verify', scheduledTime: '2027-01-01T01:00:00Z', schedule: 'verify' }, context());
    expect(result.failure?.kind).toBe('not_run');
    const line = lineOf(before);
    expect(line['alarm']).toBe('rollover_failed');
    // No record to carry it: told at once, its id from the year and the scheduled time.
    expect(line['events']).toMatchObject({ events: 1, queued: true });
    const told = queuedEvents();
    expect(told.map((event) => [event.id, event.type])).toEqual([['evt_notrun-2027-20270101T010000Z_1', 'rollover.failed']]);
    expect(told[0]?.data).toMatchObject({ account: 'sandbox', year: 2027, phase: 'verify', failure: { kind: 'not_run' } });
  });

  it('a redelivered invocation of the same schedule tells the same event id', async () => {
    await handler({ phase: 'verify', scheduledTime: '2027-01-01T01:00:00Z', schedule: 'verify' }, context());
    expect(queuedEvents().map((event) => event.id)).toEqual(['evt_notrun-2027-20270101T010000Z_1', 'evt_notrun-2027-20270101T010000Z_1']);
  });
});

/** The events the function put on the local notification queue. */
function queuedEvents(): { id: string; type: string; data: Record<string, unknown> }[] {
  return aws.notifications.sqs
    .bodies(aws.notifications.queueUrl)
    .map((body) => (JSON.parse(body) as { event: { id: string; type: string; data: Record<string, unknown> } }).event);
}
