import { describe, expect, it } from 'vitest';
import * as z from '../../shared/zod.ts';
import { RolloverInputSchema } from '../../shared/rollover/schemas.ts';
import { issueFields, issueLines } from '../../shared/zod-issues.ts';

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

describe('the project wording of zod errors (shared/zod-issues.ts)', () => {
  const schema = z.strictObject({ a: z.object({ b: z.number() }), c: z.string(), d: z.string() });
  const error = (value: unknown) => {
    const parsed = schema.safeParse(value);
    if (parsed.success) throw new Error('expected a failure');
    return parsed.error;
  };

  it('says path: message, names the root, prefixes and limits', () => {
    expect(issueLines(error({ a: { b: 'x' }, c: 1, d: 'ok' }))).toEqual([
      'a.b: Invalid input: expected number, received string',
      'c: Invalid input: expected string, received number',
    ]);
    expect(issueLines(error('nope'), { root: 'body' })).toEqual(['body: Invalid input: expected object, received string']);
    expect(issueLines(error({ a: {}, c: 1 }), { prefix: 'body', limit: 1 })).toEqual([
      'body.a.b: Invalid input: expected number, received undefined',
      '(+2 more)',
    ]);
  });

  it('names fields once each, never their values', () => {
    expect(issueFields(error({ a: { b: 'secret-value' }, c: 'fine', d: 'fine', x: 1 }))).toEqual(['a.b', '(root)']);
    expect(issueFields(error({}), { limit: 2 }).join(', ')).toBe('a, c, (+1 more)');
  });
});
