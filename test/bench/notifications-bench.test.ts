import { describe, expect, it } from 'vitest';
import { measureChangeToFirstAttempt } from '../../bench/notifications.ts';

/** Keeps the notifications bench working (a few events; no timing is asserted beyond its shape). */
describe('bench: change to first attempt through the local queue', () => {
  it('measures every event from the change to the receiver', async () => {
    const result = await measureChangeToFirstAttempt({ events: 15, gapMs: 5, warmup: 3 });
    expect(result.events).toBe(15);
    expect(result.p50Ms).toBeGreaterThan(0);
    expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
    expect(result.publishP50Ms).toBeLessThanOrEqual(result.p99Ms);
  }, 60_000);
});
