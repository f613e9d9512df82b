import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { routeResponses } from '../../shared/http/response-schemas.ts';
import { yearIn } from '../../shared/rollover/time.ts';
import { stackHttp } from '../support/json-http.ts';
import { startLocalStack } from '../support/local-stack.ts';
import type { LocalStack } from '../support/local-stack.ts';

/**
 * Answers a real InvoiceXpress account can send that the docs do not show, served by the sandbox
 * (set up through its control endpoint) and read through what `npm start` runs, over real HTTP.
 */

const NEXT = yearIn(new Date()) + 1;
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ apiKey: 'k-real-shapes-41d7a2', env: { REGISTER_SETTLE_MS: '300' } });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(async () => {
  await control('POST', '/reset');
});

const { api, control } = stackHttp(() => stack);
const operations = async (): Promise<string[]> =>
  ((await control('GET', '/requests')).json['requests'] as { operation: string }[]).map((request) => request.operation);

const INCOMPLETE_INVOICE = { sequenceId: null, lastNumber: 0, validationCode: null, atcud: 'unknown' };

describe('a document type with its number but no sequence id (recorded from a real account)', () => {
  beforeEach(async () => {
    await control('PUT', '/sequences', {
      seed: [
        { serie: 'A', default: true, documents: 'incomplete', id: 201 },
        { serie: String(NEXT), id: 300 },
      ],
    });
  });

  it('GET /sequences and GET /sequences/{id} answer it, with what is known: the type unknown, the serie not registered', async () => {
    const listed = await api('GET', '/sequences');
    expect(listed.status).toBe(200);
    expect(routeResponses.listSequences.schema.safeParse(listed.json).success).toBe(true);
    const [a, next] = listed.json['sequences'] as Record<string, unknown>[];
    expect(a).toMatchObject({ id: 201, serie: 'A', isDefault: true, registered: false, documents: { invoice: INCOMPLETE_INVOICE } });
    expect(a?.['documents']).toMatchObject({ receipt: { atcud: 'registered' }, fees_note: { atcud: 'not_applicable' } });
    expect(next).toMatchObject({ id: 300, registered: true });

    const got = await api('GET', '/sequences/201');
    expect(got.status).toBe(200);
    expect(routeResponses.getSequence.schema.safeParse(got.json).success).toBe(true);
    expect(got.json['sequence']).toEqual(a);
  });

  it('is never sent to AT nor made the default on that word', async () => {
    const registered = await api('PUT', '/sequences/201/register');
    expect(registered.status).toBe(422);
    expect(JSON.stringify(registered.json)).toContain('incomplete for invoice');
    await control('PUT', '/sequences', {
      seed: [
        { serie: String(NEXT), default: true },
        { serie: 'A', documents: 'incomplete', id: 201 },
      ],
    });
    expect((await api('PUT', '/sequences/201/set_current')).status).toBe(409);
    expect(await operations()).not.toContain('register');
    expect(await operations()).not.toContain('set_current');
  });

  it("the year's own serie answered incomplete: the rollover reads it, sends nothing to AT, creates nothing, and fails saying why", async () => {
    await control('PUT', '/sequences', {
      seed: [
        { serie: 'A', default: true },
        { serie: String(NEXT), documents: 'incomplete' },
      ],
    });
    const run = await api('POST', '/rollover', { phase: 'activate', year: NEXT });
    expect(run.json).toMatchObject({ outcome: 'failed', failure: { kind: 'at_unknown' } });
    expect(JSON.stringify(run.json['failure'])).toContain('incomplete for invoice');
    expect(new Set(await operations())).toEqual(new Set(['list', 'get']));
  });

  it('the rollover reads the account and switches the default away from it', async () => {
    const run = await api('POST', '/rollover', { phase: 'activate', year: NEXT });
    expect(run.status).toBe(200);
    expect(run.json).toMatchObject({ outcome: 'activated', serie: String(NEXT), sequence: { id: 300, isDefault: true } });
    const readiness = await api('GET', `/rollover/${String(NEXT)}`);
    expect(readiness.json).toMatchObject({ serie: String(NEXT), registered: true, current: true });
  });
});
