import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalDynamo } from '../../local/dynamodb.ts';
import type { LocalDynamo } from '../../local/dynamodb.ts';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox } from '../../sandbox/types.ts';
import { createInvoiceXpressClient } from '../../shared/invoicexpress/client.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';
import { RegistrationInProgressError } from '../../shared/sequences/errors.ts';
import { registerOnce } from '../../shared/sequences/registration-lease.ts';
import { createRegistrationLeaseTable } from '../../shared/sequences/registration-lease-table.ts';
import type { RegistrationLeases } from '../../shared/sequences/registration-lease.ts';
import { startLocalStack } from '../support/local-stack.ts';
import type { LocalStack } from '../support/local-stack.ts';

/**
 * "Sent to AT at most once" across callers: concurrent registers of one pending serie, through
 * the local API Gateway and the function modules, share one lease in the run table (dynalite),
 * and the sandbox's request log shows one register request.
 */

describe('concurrent registers through the local gateway', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ apiKey: 'k-registration-lease-41c7' });
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    stack.sandbox.reset();
  });

  const registers = (): number => stack.sandbox.requests.filter((request) => request.operation === 'register').length;

  function pendingSerie(serie: string): number {
    stack.sandbox.seedAccount([
      { serie: '2026', default: true },
      { serie, documents: 'pending' },
    ]);
    const id = stack.sandbox.sequences().find((sequence) => sequence.serie === serie)?.id;
    if (id === undefined) throw new Error('seed failed');
    return id;
  }

  it('20 concurrent PUT /sequences/{id}/register send ONE register request; every caller answers 200 registered', async () => {
    const id = pendingSerie('2027');
    stack.sandbox.setAt({ registerDelayMs: 1_500 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const response = await fetch(`${stack.url}/sequences/${String(id)}/register`, { method: 'PUT' });
        return { status: response.status, body: (await response.json()) as { sequence?: { registered: boolean; id: number } } };
      }),
    );
    expect(registers()).toBe(1);
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(answers.every((answer) => answer.body.sequence?.registered === true && answer.body.sequence.id === id)).toBe(true);
  });

  it('a create with default: true and registers of the same serie share the lease', async () => {
    stack.sandbox.setAt({ onCreate: 'pending', registerDelayMs: 800 });
    const created = await fetch(`${stack.url}/sequences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ serie: '2027', default: true }),
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { sequence: { id: number } }).sequence.id;
    // The serie is registered: registers after it send nothing more.
    const again = await Promise.all(Array.from({ length: 5 }, () => fetch(`${stack.url}/sequences/${String(id)}/register`, { method: 'PUT' })));
    expect(again.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(registers()).toBe(1);
  });
});

describe('the registration lease (dynalite, sandbox over HTTP)', () => {
  let sandbox: Sandbox;
  let dynamo: LocalDynamo;
  let leases: RegistrationLeases;
  beforeAll(async () => {
    [sandbox, dynamo] = await Promise.all([startSandbox({ apiKey: 'k-lease-unit-9d02' }), startLocalDynamo()]);
    leases = createRegistrationLeaseTable({ tableName: dynamo.tableName, client: dynamo.client });
  });
  afterAll(async () => {
    await Promise.all([sandbox?.close(), dynamo?.close()]);
  });

  const clientFor = (deadline: Deadline) =>
    createInvoiceXpressClient({ accountName: sandbox.accountName, apiKey: sandbox.apiKey, baseUrl: sandbox.url, timeoutMs: 5_000 }).withPolicy({ deadline });
  const options = (deadline: Deadline) => ({ deadline, settleMs: 200, pollMs: 50 });

  function pending(serie: string): number {
    sandbox.reset();
    sandbox.seedAccount([
      { serie: '2026', default: true },
      { serie, documents: 'pending' },
    ]);
    return sandbox.sequences().find((sequence) => sequence.serie === serie)?.id ?? 0;
  }

  it('a caller whose deadline comes first answers registration_in_progress; the holder still registers once', async () => {
    const id = pending('2027');
    sandbox.setAt({ registerDelayMs: 2_500 });
    const lease = { leases, account: 'lease-deadline', via: 'register' as const };
    const long = Deadline.in(10_000);
    const holder = registerOnce(clientFor(long), id, options(long), lease);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const short = Deadline.in(1_600);
    await expect(registerOnce(clientFor(short), id, options(short), lease)).rejects.toBeInstanceOf(RegistrationInProgressError);
    expect(short.expired()).toBe(false);
    await expect(holder).resolves.toMatchObject({ status: 'registered', sent: true });
    expect(sandbox.requests.filter((request) => request.operation === 'register')).toHaveLength(1);
  });

  it('waiters answer as the holder did when AT refused the name: one register request, every caller name_refused', async () => {
    const id = pending('2027');
    sandbox.setAt({ registerDelayMs: 600, onRegister: 'reject', rejectSeries: ['2027'] });
    const lease = { leases, account: 'lease-refused', via: 'register' as const };
    const deadline = Deadline.in(8_000);
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => registerOnce(clientFor(deadline), id, options(deadline), lease)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['name_refused', 'name_refused', 'name_refused', 'name_refused', 'name_refused']);
    expect(new Set(outcomes.map((outcome) => outcome.status === 'name_refused' && outcome.messages.join()))).toHaveProperty('size', 1);
    expect(sandbox.requests.filter((request) => request.operation === 'register')).toHaveLength(1);
  });

  it('a holder whose register was surely not applied (429) releases without an outcome: a waiter then registers itself', async () => {
    const id = pending('2027');
    sandbox.setAt({ registerDelayMs: 400 });
    sandbox.addFault({ fault: { kind: 'status', status: 429, retryAfterSeconds: 60 }, operations: ['register'], times: 1 });
    const lease = { leases, account: 'lease-429', via: 'register' as const };
    const deadline = Deadline.in(8_000);
    const first = Promise.allSettled([registerOnce(clientFor(deadline), id, options(deadline), lease)]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const second = Promise.allSettled([registerOnce(clientFor(deadline), id, options(deadline), lease)]);
    const [[holder], [waiter]] = await Promise.all([first, second]);
    expect(holder).toMatchObject({ status: 'rejected', reason: { kind: 'rate_limited' } });
    expect(waiter).toMatchObject({ status: 'fulfilled', value: { status: 'registered', sent: true } });
    expect(sandbox.requests.filter((request) => request.operation === 'register').map((request) => request.status)).toEqual([429, 200]);
  });

  it('a crashed holder blocks only until its lease expires', async () => {
    const id = pending('2027');
    const key = { account: 'lease-crash', sequenceId: id };
    // A holder that took the lease for one second and never released it.
    await leases.acquire(key, { holderId: 'crashed', via: 'rollover', acquiredAt: new Date().toISOString() }, 1_000);
    expect(await leases.read(key)).toMatchObject({ state: 'held', holder: { holderId: 'crashed' } });
    const deadline = Deadline.in(8_000);
    const started = Date.now();
    await expect(registerOnce(clientFor(deadline), id, options(deadline), { leases, account: 'lease-crash', via: 'register' })).resolves.toMatchObject({
      status: 'registered',
      sent: true,
    });
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await leases.read(key)).toMatchObject({ state: 'finished', outcome: { status: 'registered' } });
  });
});
