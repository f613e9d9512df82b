import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';

/**
 * The 401 row end to end: the real SDK call path to a loopback Secrets Manager, real HTTP to the
 * sandbox. The container starts with a key InvoiceXpress no longer accepts.
 */

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness({ secretApiKey: 'revoked-key-0a1b2c3d' });
});
afterAll(async () => {
  await api?.close();
});

describe('secret handling in the handlers', () => {
  it('a key InvoiceXpress refuses → one re-read, then 502 upstream_error (never a 401 to the caller)', async () => {
    const answer = await api.invoke('listSequences');
    expect(answer.status).toBe(502);
    expect(answer.json['error']).toMatchObject({ code: 'upstream_error' });
    expect(api.secretsManager.calls).toBe(2);
    expect(api.sandbox.requests.map((r) => r.status)).toEqual([401]);
    expect(answer.text).not.toContain('revoked-key');
  });

  it('after the operator rotates the secret, the cached old key meets a 401 and one re-read fixes it', async () => {
    api.secretsManager.setSecretString(JSON.stringify({ accountName: api.sandbox.accountName, apiKey: api.sandbox.apiKey }));
    expect((await api.invoke('listSequences')).status).toBe(200);
    expect(api.secretsManager.calls).toBe(3);
  });

  it('then the secret is cached: more requests, no more GetSecretValue', async () => {
    for (let i = 0; i < 3; i++) expect((await api.invoke('listSequences')).status).toBe(200);
    expect(api.secretsManager.calls).toBe(3);
  });
});
