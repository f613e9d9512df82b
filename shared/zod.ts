import { config, ZodMiniCatch, ZodMiniISODateTime, ZodMiniNumber } from 'zod/mini';
import type { output, ZodMiniType } from 'zod/mini';
import { _coercedNumber, _isoDateTime } from 'zod/v4/core';
import type * as core from 'zod/v4/core';
import type { $ZodISODateTimeParams, $ZodNumberParams } from 'zod/v4/core';

/**
 * The one zod entry point of the project: `zod/mini` (the functional, tree-shakable API), used as
 * `import * as z from '<relative>/zod.ts'`. Never import 'zod' (classic does not tree-shake: ~440 KB
 * in every function bundle) nor 'zod/mini' directly (the locale below would depend on import order).
 *
 * - English messages: classic registers them by default, zod/mini does not (every built-in issue
 *   would read "Invalid input"). `englishMessage` below says what zod's own English locale says
 *   for every check this project uses, in a quarter of its size (the locale carries names for
 *   thirty string formats we never validate); test/runtime/zod-messages.test.ts proves it.
 * - Re-exported with `export *`, never as a namespace object: a namespace used as a value keeps
 *   every export of zod/mini (all locales, JSON Schema conversion) in the bundle.
 * - `isoDatetime`, `coerceNumber` and `catchConstant` stand for `z.iso.datetime`, `z.coerce.number`
 *   and `z.catch`: those reach zod through a nested namespace (`z.iso.*`, `z.coerce.*`,
 *   `core.util.*`), which esbuild cannot tree-shake, so they keep ~9 KB of unused zod (the whole
 *   util module, every iso and coerce schema) in each bundle. Same schemas, same behaviour.
 */
config({ localeError: englishMessage });

export * from 'zod/mini';

/** `z.iso.datetime(params)` */
export function isoDatetime(params?: string | $ZodISODateTimeParams): ZodMiniISODateTime {
  return _isoDateTime(ZodMiniISODateTime, params);
}

/** `z.coerce.number(params)` */
export function coerceNumber(params?: string | $ZodNumberParams): ZodMiniNumber<unknown> {
  return _coercedNumber<ZodMiniNumber<unknown>>(ZodMiniNumber, params);
}

/** `z.catch(schema, value)` for a constant value: a failed parse yields `value`. */
export function catchConstant<T extends ZodMiniType>(schema: T, value: output<T>): ZodMiniCatch<T> {
  return new ZodMiniCatch({ type: 'catch', innerType: schema, catchValue: () => value }) as ZodMiniCatch<T>;
}

/** The type name zod's English locale reports for a received value. */
function receivedType(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  if (typeof input === 'number') return Number.isNaN(input) ? 'NaN' : Number.isFinite(input) ? 'number' : String(input);
  return typeof input;
}

const show = (value: unknown): string => (typeof value === 'string' ? `"${value}"` : String(value));
const UNITS: Record<string, string> = { string: 'characters', array: 'items', set: 'items', map: 'entries' };
const FORMATS: Record<string, string> = { datetime: 'ISO datetime', url: 'URL', email: 'email address' };

/** zod's English messages (zod/locales `en`), for the issues this project's schemas can raise. */
function englishMessage(issue: core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `Invalid input: expected ${issue.expected}, received ${receivedType(issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `Invalid input: expected ${show(issue.values[0])}`
        : `Invalid option: expected one of ${issue.values.map(show).join('|')}`;
    case 'too_big':
    case 'too_small': {
      const big = issue.code === 'too_big';
      const adj = issue.exact ? 'exactly ' : `${big ? '<' : '>'}${issue.inclusive ? '=' : ''}`;
      const limit = String(big ? issue.maximum : issue.minimum);
      const unit = UNITS[issue.origin];
      const origin = issue.origin || 'value';
      return `Too ${big ? 'big' : 'small'}: expected ${origin} to ${unit ? `have ${adj}${limit} ${unit}` : `be ${adj}${limit}`}`;
    }
    case 'invalid_format':
      return issue.format === 'regex'
        ? `Invalid string: must match pattern ${String(issue.pattern)}`
        : `Invalid ${FORMATS[issue.format] ?? issue.format}`;
    case 'unrecognized_keys':
      return `Unrecognized key${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.map(show).join(', ')}`;
    case 'invalid_union':
      return 'options' in issue && Array.isArray(issue.options) && issue.options.length > 0
        ? `Invalid discriminator value. Expected ${issue.options.map((o) => `'${String(o)}'`).join(' | ')}`
        : 'Invalid input';
    default:
      return 'Invalid input';
  }
}
