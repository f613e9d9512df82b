import { config, ZodMiniCatch, ZodMiniISODateTime, ZodMiniNumber } from 'zod/mini';
import type { output, ZodMiniType } from 'zod/mini';
import { en } from 'zod/locales';
import { _coercedNumber, _isoDateTime } from 'zod/v4/core';
import type { $ZodISODateTimeParams, $ZodNumberParams } from 'zod/v4/core';

/**
 * The one zod entry point of the project: `zod/mini` (the functional, tree-shakable API), used as
 * `import * as z from '<relative>/zod.ts'`. Never import 'zod' (classic does not tree-shake: ~440 KB
 * in every function bundle) nor 'zod/mini' directly (the locale below would depend on import order).
 *
 * - English messages: classic registers them by default, zod/mini does not (every built-in issue
 *   would read "Invalid input"). With them, clients and logs get the same messages as before.
 * - Re-exported with `export *`, never as a namespace object: a namespace used as a value keeps
 *   every export of zod/mini (all locales, JSON Schema conversion) in the bundle.
 * - `isoDatetime`, `coerceNumber` and `catchConstant` stand for `z.iso.datetime`, `z.coerce.number`
 *   and `z.catch`: those reach zod through a nested namespace (`z.iso.*`, `z.coerce.*`,
 *   `core.util.*`), which esbuild cannot tree-shake, so they keep ~9 KB of unused zod (the whole
 *   util module, every iso and coerce schema) in each bundle. Same schemas, same behaviour.
 */
config(en());

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
