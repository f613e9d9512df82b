import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../local/api-gateway-event.ts';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import { startLocalAws } from '../../local/local-aws.ts';
import type { LocalAws } from '../../local/local-aws.ts';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox } from '../../sandbox/types.ts';
import type { RolloverResult } from '../../shared/rollover/result.ts';
import { createRunTable } from '../../shared/rollover/run-table.ts';
import type { LocalSecretsManager } from '../../local/secrets-manager-endpoint.ts';
import { EventMessageSchema } from '../../shared/notifications/publisher.ts';
import type { NotificationEvent } from '../../shared/notifications/model.ts';
import { silenceOutput } from '../support/log-scan.ts';

/**
 * The scheduled function end to end on loopback: the real SDK reads the secret from a loopback
 * Secrets Manager and keeps its lock and records in dynalite, the client talks to the sandbox,
 * its events go to the notification queue (the SQS client mocked: the delivery is H-delivery's
 * side, tested on its own local queue). Env vars are set before the module is imported (it builds its
 * runtime at cold start). The clock is faked (Date only, advancing with real time) so that every
 * invocation happens at its schedule's time, whatever today's date.
 */

const API_KEY = 'sandbox-key-for-scheduled-handler';
const WEBHOOK_SECRET = 'whsec-scheduled-handler';
const WEBHOOK_TOKEN = 'hook-query-token';

let sandbox: Sandbox;
let secrets: LocalSecretsManager;
/** What the function sent to the notification queue. */
const queued: NotificationEvent[] = [];
const sqs = mockClient(SQSClient);
let dynamo: LocalDynamo;
let localAws: LocalAws;
let handler: (event: unknown, context: Context) => Promise<RolloverResult>;
let InvalidRolloverPayloadError: new (...args: never[]) => Error;

function secretJson(apiKey: string): string {
  return JSON.stringify({
    accountName: sandbox.accountName,
    apiKey,
    // An old secret still naming webhooks parses and is ignored (endpoints live in the webhooks secret now).
    webhooks: [{ url: `https://hooks.example.com/ix/rollover?token=${WEBHOOK_TOKEN}`, secret: WEBHOOK_SECRET }],
  });
}

/** The function's log lines (Powertools: JSON on stdout and stderr) of each invocation, off the test output. */
let output: ReturnType<typeof silenceOutput>;

async function invoke(event: unknown): Promise<{ result?: RolloverResult; error?: unknown; logs: Record<string, unknown>[]; raw: string }> {
  const from = output.lines().length;
  try {
    const result = await handler(event, lambdaContext('ix-sequences-rollover-scheduled', 60_000));
    return { result, ...parsed(output.lines().slice(from)) };
  } catch (error) {
    return { error, ...parsed(output.lines().slice(from)) };
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
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string; MessageBody: string }[] }) => {
    for (const entry of input.Entries) queued.push(EventMessageSchema.parse(JSON.parse(entry.MessageBody)).event);
    return { Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: entry.Id, MD5OfMessageBody: '' })), Failed: [] };
  });
  localAws = await startLocalAws(sandbox, 'test');
  ({ secretsManager: secrets, dynamo } = localAws);
  // The secret starts with a stale key: the first test covers the 401 → re-read path.
  secrets.setSecretString(secretJson('stale-key-before-rotation'));
  // The counter lives in the notifications table; here the run table stands in for it (its own item).
  Object.assign(process.env, localAws.environment, {
    IX_TIMEOUT_MS: '2000',
    NOTIFICATIONS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
    NOTIFICATIONS_TABLE_NAME: dynamo.tableName,
  });
  output = silenceOutput();
  const module = await import('../../functions/rollover-scheduled.ts');
  handler = module.handler;
  InvalidRolloverPayloadError = module.InvalidRolloverPayloadError;
});
afterAll(async () => {
  vi.useRealTimers();
  output.restore();
  sqs.restore();
  await Promise.all([sandbox.close(), localAws.close()]);
});
beforeEach(() => {
  sandbox.reset();
  queued.length = 0;
  at('2026-12-15T09:00:00Z');
});

/** The clock reads `instant` (and runs on from it): the function sees the schedule's own time. */
function at(instant: string): void {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true, now: new Date(instant) });
}

const prepare = (scheduledTime = '2026-12-15T09:00:00Z') => ({ phase: 'prepare', scheduledTime, schedule: 'ix-sequences-test-prepare' });
const activate = (scheduledTime = '2027-01-01T00:00:00Z') => ({ phase: 'activate', scheduledTime, schedule: 'ix-sequences-test-activate' });
const verify = (scheduledTime = '2027-01-01T01:00:00Z') => ({ phase: 'verify', scheduledTime, schedule: 'ix-sequences-test-verify' });

function rolloverLine(logs: Record<string, unknown>[]): Record<string, unknown> & { rollover: RolloverResult } {
  const lines = logs.filter((log) => 'rollover' in log);
  expect(lines).toHaveLength(1);
  return lines[0] as Record<string, unknown> & { rollover: RolloverResult };
}

describe('rollover-scheduled handler', () => {
  it('a stale key: 401, one re-read of the secret, still refused → a failed run that pages; after rotation it runs', async () => {
    const stale = await invoke(prepare());
    expect(stale.error).toBeUndefined();
    expect(stale.result?.failure).toMatchObject({ action: 'find', kind: 'unauthorized' });
    expect(secrets.calls).toBe(2); // cold read + one forced re-read
    expect(rolloverLine(stale.logs)).toMatchObject({ level: 'ERROR', alarm: 'rollover_failed' });

    // The key is rotated in Secrets Manager: the cached stale key gets a 401, the re-read finds the new one.
    secrets.setSecretString(secretJson(API_KEY));
    const rotated = await invoke(prepare());
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

  it('prepare from the Scheduler payload: year from scheduledTime, one log line, on record, its events queued with the run id', async () => {
    const { result, logs, raw } = await invoke(prepare());
    expect(result).toMatchObject({ outcome: 'ready', year: 2027, serie: '2027', phase: 'prepare' });
    const line = rolloverLine(logs);
    expect(line).toMatchObject({
      level: 'INFO',
      service: 'ix-sequences',
      trigger: 'schedule',
      caller: 'ix-sequences-test-prepare',
      ready: 1,
      events: { events: 2, queued: true, onBus: true },
    });
    expect(line['lockHeldSeconds']).toBeTypeOf('number');
    expect(line['function_request_id']).toBeTypeOf('string'); // Lambda context injected
    expect(line['alarm']).toBeUndefined();
    expect(raw).not.toContain(API_KEY);

    // AT registered the serie at its create: created and registered, with the run's id.
    expect(queued.map((event) => event.type)).toEqual(['serie.created', 'serie.registered']);
    expect(queued.map((event) => event.id)).toEqual([`evt_${result?.runId ?? ''}_1`, `evt_${result?.runId ?? ''}_2`]);
    expect(queued[0]?.data).toMatchObject({
      version: 1,
      account: sandbox.accountName,
      stage: 'test',
      runId: result?.runId,
      sequence: { serie: '2027', id: result?.sequence?.id },
    });
    // The local bus prints each event as EventBridge would get it.
    expect(raw).toContain('[event bus] serie.created');

    const record = await createRunTable({ tableName: dynamo.tableName, client: dynamo.client }).getRun(sandbox.accountName, result?.runId ?? '');
    expect(record).toMatchObject({ trigger: 'schedule', caller: 'ix-sequences-test-prepare', status: 'finished', outcome: 'ready' });
  });

  it('a repeat is a no-op: one list call, no event; activate at 00:00 on 1 January switches', async () => {
    await invoke(prepare());
    queued.length = 0;
    const before = sandbox.requests.length;
    const repeat = await invoke(prepare('2026-12-16T09:00:00Z'));
    expect(repeat.result?.outcome).toBe('already_done');
    expect(sandbox.requests.slice(before).map((request) => request.operation)).toEqual(['list']);
    expect(queued).toHaveLength(0);

    at('2027-01-01T00:00:00Z');
    const switched = await invoke(activate());
    expect(switched.result).toMatchObject({ outcome: 'activated', year: 2027, serie: '2027' });
    expect(queued.map((event) => event.type)).toEqual(['serie.activated']);
    expect(queued[0]?.data).toMatchObject({ previous: { serie: '2022' }, current: { serie: '2027', isDefault: true } });
    expect(queued[0]?.data.sequenceNumber).toBeGreaterThan(2);
    expect(sandbox.sequences().find((sequence) => sequence.default_sequence === 1)?.serie).toBe('2027');
  });

  it('an AT problem of the whole account: a failed run that pages and notifies, without throwing', async () => {
    at('2027-01-01T00:00:00Z');
    sandbox.setAt({ onCreate: 'pending' });
    sandbox.addFault({
      fault: { kind: 'status', status: 422, body: JSON.stringify({ errors: { code: '004', message: 'Credenciais AT em falta' } }) },
      operations: ['register'],
    });
    const { error, result, logs } = await invoke(activate());
    expect(error).toBeUndefined();
    expect(result?.failure).toMatchObject({ action: 'register', kind: 'at_account' });
    expect(result?.failure?.message).toContain('check the AT credentials');
    const line = rolloverLine(logs);
    expect(line).toMatchObject({ level: 'ERROR', alarm: 'rollover_failed', ready: 0, events: { events: 2, queued: true } });
    expect(queued.map((event) => event.type)).toEqual(['serie.created', 'rollover.failed']);
    expect(queued[1]?.data).toMatchObject({ phase: 'activate', failure: { action: 'register', kind: 'at_account' } });
    expect(sandbox.sequences().map((sequence) => sequence.serie)).toEqual(['2022', '2027']);
  });

  it('InvoiceXpress down at an activation: failed, logged as a warning, no page and no event (the next quarter hour retries)', async () => {
    at('2027-01-01T00:15:00Z');
    sandbox.addFault({ fault: { kind: 'status', status: 503 } });
    const { error, result, logs } = await invoke(activate('2027-01-01T00:15:00Z'));
    expect(error).toBeUndefined();
    expect(result?.failure).toMatchObject({ action: 'find', kind: 'upstream' });
    const line = rolloverLine(logs);
    expect(line).toMatchObject({ level: 'WARN', ready: 0 });
    expect(line['alarm']).toBeUndefined();
    expect(queued).toHaveLength(0);
  });

  it('a fallback name logs the serie_fallback alarm; the daily no-ops after it do not', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    sandbox.addFault({
      fault: { kind: 'status', status: 422, body: JSON.stringify({ errors: { code: '001', message: 'Sequence name not allowed.' } }) },
      operations: ['register'],
      times: 1,
    });
    await createInSandbox('2027');
    const { result, logs } = await invoke(prepare());
    expect(result).toMatchObject({ outcome: 'ready', serie: '2027B', fallback: { from: '2027' } });
    expect(rolloverLine(logs)).toMatchObject({ level: 'ERROR', alarm: 'serie_fallback' });
    const repeat = await invoke(prepare('2026-12-16T09:00:00Z'));
    expect(repeat.result).toMatchObject({ outcome: 'already_done', serie: '2027B' });
    const line = rolloverLine(repeat.logs);
    expect(line['level']).toBe('WARN');
    expect(line['alarm']).toBeUndefined();
  });

  it('another run holding the lock: this one ends quietly as skipped, calling nothing', async () => {
    const table = createRunTable({ tableName: dynamo.tableName, client: dynamo.client });
    const key = { account: sandbox.accountName, year: 2027 };
    const holder = {
      runId: '2027-20261215T085959000Z-holder',
      trigger: 'api' as const,
      caller: 'someone',
      phase: 'prepare' as const,
      acquiredAt: '2026-12-15T08:59:59.000Z',
    };
    await table.acquire(key, holder, 60_000);
    try {
      const before = sandbox.requests.length;
      const { error, result, logs } = await invoke(prepare());
      expect(error).toBeUndefined();
      expect(result).toMatchObject({ outcome: 'skipped', year: 2027 });
      expect(result?.note).toContain(holder.runId);
      expect(sandbox.requests.length).toBe(before);
      expect(logs.find((log) => log['message'] === 'Rollover lock held by another run')).toMatchObject({ lock: { holderRunId: holder.runId, year: 2027 } });
      expect(rolloverLine(logs)['alarm']).toBeUndefined();
    } finally {
      await table.release(key, holder.runId);
    }
  });

  it('a stale event (redriven a year later) fails without calling InvoiceXpress, and pages', async () => {
    at('2028-02-01T10:00:00Z');
    const before = sandbox.requests.length;
    const { error, result, logs } = await invoke(activate('2027-01-01T00:00:00Z'));
    expect(error).toBeUndefined();
    expect(result?.failure).toMatchObject({ kind: 'year_out_of_range' });
    expect(sandbox.requests.length).toBe(before);
    expect(rolloverLine(logs)).toMatchObject({ alarm: 'rollover_failed' });
  });

  it('verify reads only: pages when the year is not active, quiet when it is', async () => {
    at('2027-01-01T01:00:00Z');
    const notActive = await invoke(verify());
    expect(notActive.result?.failure).toMatchObject({ action: 'verify', kind: 'not_ready' });
    expect(rolloverLine(notActive.logs)).toMatchObject({ alarm: 'rollover_failed', ready: 0 });
    expect(sandbox.requests.every((request) => request.method === 'GET')).toBe(true);

    await invoke(activate('2027-01-01T00:45:00Z'));
    const active = await invoke(verify('2027-01-01T06:30:00Z'));
    expect(active.result).toMatchObject({ outcome: 'already_done', serie: '2027' });
    expect(rolloverLine(active.logs)).toMatchObject({ level: 'INFO', ready: 1 });
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

describe('New Year with InvoiceXpress down from 00:00 to 00:40', () => {
  it('the schedule ticks every 15 minutes: active by the 00:45 run, no page before (or at) the 01:00 verify', async () => {
    sandbox.setAt({ onCreate: 'pending' });
    const pages: string[] = [];
    for (const tick of ['00:00', '00:15', '00:30', '00:45']) {
      const instant = `2027-01-01T${tick}:00Z`;
      at(instant);
      // Down until 00:40: every answer a 503.
      if (tick < '00:40') sandbox.addFault({ fault: { kind: 'status', status: 503 } });
      else sandbox.clearFaults();
      const { result, logs } = await invoke(activate(instant));
      const line = rolloverLine(logs);
      if (typeof line['alarm'] === 'string') pages.push(`${tick} ${line['alarm']}`);
      if (tick === '00:45') expect(result).toMatchObject({ outcome: 'activated', serie: '2027' });
      else expect(result?.outcome).toBe('failed');
    }
    at('2027-01-01T01:00:00Z');
    const checked = await invoke(verify('2027-01-01T01:00:00Z'));
    expect(checked.result?.outcome).toBe('already_done');
    if (typeof rolloverLine(checked.logs)['alarm'] === 'string') pages.push('01:00');
    expect(pages).toEqual([]);
    expect(sandbox.sequences().find((sequence) => sequence.default_sequence === 1)?.serie).toBe('2027');
  });
});

/** A serie made by an earlier day's run, through InvoiceXpress's own API (as a person or a run would). */
async function createInSandbox(serie: string): Promise<void> {
  const response = await fetch(`${sandbox.url}/sequences.json?api_key=${encodeURIComponent(API_KEY)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sequence: { serie, default_sequence: '0' } }),
  });
  expect(response.status).toBe(201);
}
