import { config } from 'zod/mini';
import { en } from 'zod/locales';

/**
 * The one zod entry point of the project: `zod/mini` (the functional, tree-shakable API), used as
 * `import * as z from '<relative>/zod.ts'`. Importing it registers zod's own English locale, which
 * zod/mini does not load by default (every built-in issue would otherwise read "Invalid input").
 * Never import 'zod' or 'zod/mini' directly, so the locale cannot depend on import order.
 */
config(en());

export * from 'zod/mini';
