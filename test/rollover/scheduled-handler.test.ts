import { createHmac, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox } from '../../sandbox/types.ts';
import type { RolloverResult } from '../../shared/rollover/result.ts';
import { localFunctionEnvironment, startLocalSecretsManager } from '../../local/secrets-manager-endpoint.ts';
import type { LocalSecretsManager } from '../../local/secrets-manager-endpoint.ts';
import { startReceiver } from '../webhooks/receiver.ts';
import type { Receiver } from '../webhooks/receiver.ts';

/**
 * The scheduled function end to end on loopback: the real SDK reads the secret from a fake Secrets
 * Manager, the client talks to the sandbox, webhooks go to a real receiver. Env vars are set before
 * the module is imported (it builds its runtime at cold start).
 */

const API_KEY = 'sandbox-key-for-scheduled-handler';
const WEBHOOK_SECRET = 'whsec-scheduled-handler';
const WEBHOOK_TOKEN = 'hook-query-token';

let sandbox: Sandbox;
let secrets: LocalSecretsManager;
let receiver: Receiver;
let handler: (event: unknown, context: Context) => Promise<RolloverResult>;
let InvalidRolloverPayloadError: new (...args: never[]) => Error;
let RolloverFailedError: new (...args: never[]) => Error & { result: RolloverResult };

function secretJson(apiKey: string): string {
  return JSON.stringify({
    accountName: sandbox.accountName,
    apiKey,
    webhooks: [{ url: `${receiver.url}/ix/rollover?token=${WEBHOOK_TOKEN}`, secret: WEBHOOK_SECRET }],
  });
}

function context(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'ix-sequences-rollover-scheduled',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:ix-sequences-rollover-scheduled',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/ix-sequences-rollover-scheduled',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Powertools writes JSON lines to stdout (info, warn) and stderr (error): capture both per invocation. */
async function invoke(event: unknown): Promise<{ result?: RolloverResult; error?: unknown; logs: Record<string, unknown>[]; raw: string }> {
  const chunks: string[] = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(capture), vi.spyOn(process.stderr, 'write').mockImplementation(capture)];
  try {
    const result = await handler(event, context());
    return { result, ...parsed(chunks) };
  } catch (error) {
    return { error, ...parsed(chunks) };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

function parsed(chunks: string[]): { logs: Record<string, unknown>[]; raw: string } {
  const raw = chunks.join('');
  const logs = raw
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logs, raw };
}

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: API_KEY });
  receiver = await startReceiver();
  // The secret starts with a stale key: the first test covers the 401 → re-read path.
  secrets = await startLocalSecretsManager({ secretString: secretJson('stale-key-before-rotation') });
  Object.assign(
    process.env,
    localFunctionEnvironment({ secretsManagerUrl: secrets.url, invoiceXpressUrl: sandbox.url, stage: 'test' }),
    { IX_TIMEOUT_MS: '2000' },
  );
  const module = await import('../../functions/rollover-scheduled.ts');
  handler = module.handler;
  InvalidRolloverPayloadError = module.InvalidRolloverPayloadError;
  RolloverFailedError = module.RolloverFailedError;
});
afterAll(async () => {
  await Promise.all([sandbox.close(), secrets.close(), receiver.close()]);
});
beforeEach(() => {
  sandbox.reset();
  receiver.received.length = 0;
});

const PREPARE = { phase: 'prepare', scheduledTime: '2026-12-15T09:00:00Z' };
const ACTIVATE = { phase: 'activate', scheduledTime: '2027-01-01T00:00:00Z' };

function rolloverLine(logs: Record<string, unknown>[]): Record<string, unknown> & { rollover: RolloverResult } {
  const lines = logs.filter((log) => 'rollover' in log);
  expect(lines).toHaveLength(1);
  return lines[0] as Record<string, unknown> & { rollover: RolloverResult };
}

describe('rollover-scheduled handler', () => {
  it('a stale key: 401, one re-read of the secret, still refused → failed and thrown; after rotation it runs', async () => {
    const stale = await invoke(PREPARE);
    expect(stale.error).toBeInstanceOf(RolloverFailedError);
    expect((stale.error as { result: RolloverResult }).result.failure).toMatchObject({ action: 'find', kind: 'unauthorized' });
    expect(secrets.calls).toBe(2); // cold read + one forced re-read
    expect(rolloverLine(stale.logs)).toMatchObject({ level: 'ERROR', alarm: 'rollover_failed' });

    // The key is rotated in Secrets Manager: the cached stale key gets a 401, the re-read finds the new one.
    secrets.setSecretString(secretJson(API_KEY));
    const rotated = await invoke(PREPARE);
    expect(rotated.error).toBeUndefined();
    expect(rotated.result).toMatchObject({ outcome: 'ready', year: 2027, serie: '2027' });
    expect(secrets.calls).toBe(3);
    for (const text of [stale.raw, rotated.raw]) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain('stale-key-before-rotation');
      expect(text).not.toContain(WEBHOOK_SECRET);
      expect(text).not.toContain(WEBHOOK_TOKEN);
    }
  });

  it('prepare from the Scheduler payload: year from scheduledTime, one log line, a signed webhook', async () => {
    const { result, logs, raw } = await invoke(PREPARE);
    expect(result).toMatchObject({ outcome: 'ready', year: 2027, serie: '2027', phase: 'prepare' });
    const line = rolloverLine(logs);
    expect(line).toMatchObject({ level: 'INFO', service: 'ix-sequences', webhooks: { delivered: 1, failed: 0 } });
    expect(line['function_request_id']).toBeTypeOf('string'); // Lambda context injected
    expect(line.rollover.outcome).toBe('ready');
    expect(line['alarm']).toBeUndefined();
    expect(raw).not.toContain(API_KEY);

    expect(receiver.received).toHaveLength(1);
    const hook = receiver.received[0];
    expect(hook?.url).toBe(`/ix/rollover?token=${WEBHOOK_TOKEN}`);
    expect(hook?.headers['x-ix-event']).toBe('rollover.ready');
    const expected = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(hook?.body ?? '').digest('hex')}`;
    expect(hook?.headers['x-ix-signature']).toBe(expected);
    expect(JSON.parse(hook?.body ?? '')).toEqual(result);
    expect(secrets.calls).toBe(3); // cached since the previous test
  });

  it('a repeat is a no-op: one list call, no webhook; activate at 00:00 on 1 January switches', async () => {
    await invoke(PREPARE);
    receiver.received.length = 0;
    const before = sandbox.requests.length;
    const repeat = await invoke(PREPARE);
    expect(repeat.result?.outcome).toBe('already_done');
    expect(sandbox.requests.slice(before).map((request) => request.operation)).toEqual(['list']);
    expect(receiver.received).toHaveLength(0);

    // Delivered late (retried hours after the schedule): scheduledTime still decides the year.
    const activate = await invoke(ACTIVATE);
    expect(activate.result).toMatchObject({ outcome: 'activated', year: 2027, serie: '2027' });
    expect(receiver.received.map((hook) => hook.headers['x-ix-event'])).toEqual(['rollover.activated']);
    expect(sandbox.sequences().find((sequence) => sequence.default_sequence === 1)?.serie).toBe('2027');
  });

  it('a failed run logs an alarm, notifies, and throws so the Scheduler/Lambda retry and DLQ take over', async () => {
    sandbox.setAt({ onCreate: 'pending', onRegister: 'reject', rejectMessage: 'AT: série não comunicada (teste)' });
    const { error, logs } = await invoke(ACTIVATE);
    expect(error).toBeInstanceOf(RolloverFailedError);
    expect((error as Error).message).toContain('at_refused');
    expect((error as Error).message).toContain('AT: série não comunicada (teste)');
    const line = rolloverLine(logs);
    expect(line).toMatchObject({ level: 'ERROR', alarm: 'rollover_failed', webhooks: { delivered: 1, failed: 0 } });
    expect(line.rollover.outcome).toBe('failed');
    expect(receiver.received[0]?.headers['x-ix-event']).toBe('rollover.failed');
  });

  it('a fallback name logs the serie_fallback alarm', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    sandbox.addFault({
      fault: { kind: 'status', status: 422, body: JSON.stringify({ errors: [{ error: 'AT refused' }] }) },
      operations: ['register'],
      times: 1,
    });
    const { result, logs } = await invoke(PREPARE);
    expect(result).toMatchObject({ outcome: 'ready', serie: '2027B', fallback: { from: '2027' } });
    expect(rolloverLine(logs)).toMatchObject({ level: 'ERROR', alarm: 'serie_fallback' });
    // The next daily no-op keeps reporting the fallback, without alarming again.
    const repeat = await invoke(PREPARE);
    expect(repeat.result).toMatchObject({ outcome: 'already_done', serie: '2027B' });
    const line = rolloverLine(repeat.logs);
    expect(line['level']).toBe('WARN');
    expect(line['alarm']).toBeUndefined();
  });

  it('an invalid payload is refused with a clear error, logged, and nothing is called', async () => {
    const before = sandbox.requests.length;
    const { error, logs } = await invoke({ phase: 'rollover-now', scheduledTime: 'tomorrow', extra: 1 });
    expect(error).toBeInstanceOf(InvalidRolloverPayloadError);
    const message = (error as Error).message;
    expect(message).toContain('phase');
    expect(message).toContain('scheduledTime');
    expect(logs.some((log) => log['level'] === 'ERROR' && log['alarm'] === 'rollover_failed')).toBe(true);
    expect(sandbox.requests.length).toBe(before);
  });
});
