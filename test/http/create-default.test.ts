import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalStack } from '../support/local-stack.ts';
import type { LocalStack } from '../support/local-stack.ts';

/**
 * A create that InvoiceXpress makes the default (the sandbox's `createBecomesDefault`, set over its
 * control endpoint): through the local API Gateway, a December prepare and a POST /sequences leave
 * the previous default the default, and say that they put it back.
 */

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ apiKey: 'k-create-default-6e3a' });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(async () => {
  stack.sandbox.reset();
  const answer = await fetch(`${stack.sandbox.controlUrl}/variants`, { method: 'PUT', body: JSON.stringify({ createBecomesDefault: true }) });
  expect(answer.status).toBe(200);
});

const defaultSerie = (): string | undefined => stack.sandbox.sequences().find((sequence) => sequence.default_sequence === 1)?.serie;

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('createBecomesDefault through the local gateway', () => {
  it('POST /rollover prepare: the previous default is still the default afterwards; the result has a note and a set_current step', async () => {
    const year = new Date().getUTCFullYear() + 1;
    const answer = await post('/rollover', { phase: 'prepare', year });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ outcome: 'ready', serie: String(year) });
    expect(defaultSerie()).toBe('2022');
    expect(answer.json['note']).toEqual(expect.stringContaining(`made the new serie '${String(year)}' the default`));
    const steps = answer.json['steps'] as { action: string; status: string; serie?: string }[];
    expect(steps).toContainEqual(expect.objectContaining({ action: 'set_current', status: 'done', serie: '2022' }));
  });

  it('prepare: a put-back whose answer is lost every time is read, not reported failed (model-test counterexample)', async () => {
    // The sandbox acts on set_current and drops its answer, on every attempt the client makes.
    const fault = await fetch(`${stack.sandbox.controlUrl}/faults`, {
      method: 'POST',
      body: JSON.stringify({ fault: { kind: 'drop_response' }, operations: ['set_current'], times: 5 }),
    });
    expect(fault.status).toBe(200);
    const year = new Date().getUTCFullYear() + 1;
    const answer = await post('/rollover', { phase: 'prepare', year });
    expect(defaultSerie()).toBe('2022');
    expect(answer.json).toMatchObject({ outcome: 'ready', serie: String(year) });
    expect(answer.json['failure']).toBeUndefined();
  });

  it('POST /sequences without default: the new serie is not the default; restoredDefault names the one put back', async () => {
    const answer = await post('/sequences', { serie: '2031' });
    expect(answer.status).toBe(201);
    expect(answer.json['sequence']).toMatchObject({ serie: '2031', isDefault: false });
    expect(answer.json['restoredDefault']).toMatchObject({ serie: '2022', isDefault: true });
    expect(defaultSerie()).toBe('2022');
  });

  it('POST /sequences with default: true still ends with the new serie the default', async () => {
    const answer = await post('/sequences', { serie: '2032', default: true });
    expect(answer.status).toBe(201);
    expect(answer.json['sequence']).toMatchObject({ serie: '2032', isDefault: true, registered: true });
    expect(answer.json['restoredDefault']).toBeUndefined();
    expect(defaultSerie()).toBe('2032');
  });
});
