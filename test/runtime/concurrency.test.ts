import { describe, expect, it } from 'vitest';
import { forEachLimited } from '../../shared/runtime/concurrency.ts';

describe('forEachLimited', () => {
  it('runs every item, never more than the limit at once, and rejects with the first failure', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(item);
      running -= 1;
    });
    expect([seen.sort(), most]).toEqual([[1, 2, 3, 4, 5, 6, 7], 3]);
    await expect(forEachLimited([1, 2], 2, (item) => (item === 2 ? Promise.reject(new Error('two')) : Promise.resolve()))).rejects.toThrow('two');
    await forEachLimited([], 4, () => Promise.reject(new Error('never called')));
  });
});
