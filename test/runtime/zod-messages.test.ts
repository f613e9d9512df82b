import { describe, expect, it } from 'vitest';
import * as z from '../../shared/zod.ts';
import { RolloverInputSchema } from '../../shared/rollover/schemas.ts';

/** shared/zod.ts registers zod's own English locale: zod/mini alone would answer "Invalid input" for everything. */
describe('the project zod entry point', () => {
  it('speaks zod’s English for the issues callers see', () => {
    const issues = RolloverInputSchema.safeParse({ phase: 'later', year: '2027', extra: 1 }).error?.issues ?? [];
    expect(issues.map((issue) => issue.message)).toEqual([
      'Invalid option: expected one of "prepare"|"activate"|"verify"',
      'Invalid input: expected number, received string',
      'Unrecognized key: "extra"',
    ]);
  });

  it('offers the public z.iso, z.coerce and z.catch', () => {
    expect(z.iso.datetime({ offset: true }).safeParse('2027-01-01T00:00:00+00:00').success).toBe(true);
    expect(z.coerce.number().parse('42')).toBe(42);
    expect(z.catch(z.optional(z.int()), undefined).parse('x')).toBeUndefined();
  });
});
