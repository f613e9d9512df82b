import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiHarness } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';

/** A container whose secret cannot be read answers 500 internal_error, without internals. */

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
  api.secretsManager.failWith('ResourceNotFoundException');
});
afterAll(async () => {
  await api?.close();
});

it('Secrets Manager refusing → 500 internal_error, no InvoiceXpress call, recovers when it answers', async () => {
  const answer = await api.invoke('listSequences');
  expect(answer.status).toBe(500);
  expect(answer.json['error']).toMatchObject({ code: 'internal_error' });
  expect(answer.text).not.toMatch(/ResourceNotFound|arn:aws|secretsmanager/i);
  expect(api.sandbox.requests).toHaveLength(0);
  const logged = api.logs.map((line) => JSON.parse(line) as Record<string, unknown>).at(-1);
  expect(logged).toMatchObject({ level: 'ERROR', status: 500, failure: 'ResourceNotFoundException' });

  api.secretsManager.failWith(undefined);
  expect((await api.invoke('listSequences')).status).toBe(200);
});
