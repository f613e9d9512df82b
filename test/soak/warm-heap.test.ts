import { afterAll, beforeAll, expect, it } from 'vitest';
import { measureWarm } from '../../bench/warm.ts';
import { startLocalAws } from '../../local/local-aws.ts';
import type { LocalAws } from '../../local/local-aws.ts';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox } from '../../sandbox/types.ts';

/**
 * Soak: 20,000 warm requests through GET /sequences/{id} (the function module, invoked in-process
 * in a child with --expose-gc, real API Gateway events, the secret from the loopback Secrets
 * Manager, InvoiceXpress in the sandbox over loopback HTTP). A warm container must not grow: the
 * heap after GC may not gain 5 MB. The same measurement `npm run bench` reports.
 */

const REQUESTS = 20_000;
const MAX_GROWTH_BYTES = 5 * 1024 * 1024;

let sandbox: Sandbox;
let aws: LocalAws;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: 'k-soak-7d1e0c94b2' });
  aws = await startLocalAws(sandbox, 'soak');
});
afterAll(async () => {
  await Promise.all([sandbox?.close(), aws?.close()]);
});

it(`keeps the heap flat over ${String(REQUESTS)} warm requests (growth after GC under 5 MB)`, async () => {
  const result = await measureWarm(
    {
      handlerModule: new URL('../../functions/get-sequence.ts', import.meta.url).pathname,
      functionName: 'get-sequence',
      warmupRequests: 500,
      timedRequests: 0,
      heapRequests: REQUESTS,
      checkpoints: [5_000, 10_000],
    },
    aws.environment,
  );
  // Every request reached InvoiceXpress; the secret was read once (cached across requests).
  expect(sandbox.requests.length).toBe(REQUESTS + 500);
  expect(aws.secretsManager.calls).toBe(1);
  const perCheckpoint = result.heap.checkpoints.map((c) => `${String(c.requests)}: ${(c.growthBytes / 1024).toFixed(0)} KiB`);
  expect(result.heap.growthBytes, `heap growth after GC (${perCheckpoint.join(', ')})`).toBeLessThan(MAX_GROWTH_BYTES);
}, 120_000);
