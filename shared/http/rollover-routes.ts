import * as z from '../zod.ts';
import type { RolloverReadiness, RolloverResult } from '../rollover/result.ts';
import { RolloverInputSchema } from '../rollover/schemas.ts';
import { route } from './route-spec.ts';

/** The two rollover routes (contract section 2). Functions import only the module they serve. */

const YearParamsSchema = z.strictObject({
  year: z
    .pipe(
      z.string().check(z.regex(/^2[0-9]{3}$/, 'must be a year between 2000 and 2999')),
      z.transform(Number),
    )
    .check(z.describe('The calendar year, e.g. 2027')),
});

export const rolloverRoutes = {
  runRollover: route<RolloverResult>()({
    operationId: 'runRollover',
    entry: 'rollover-run',
    method: 'POST',
    path: '/rollover',
    summary: 'Run a rollover phase now (dryRun plans without changing anything)',
    params: undefined,
    body: RolloverInputSchema,
    successStatus: 200,
  }),
  rolloverStatus: route<RolloverReadiness>()({
    operationId: 'rolloverStatus',
    entry: 'rollover-status',
    method: 'GET',
    path: '/rollover/{year}',
    summary: "Readiness of the year's serie (read-only)",
    params: YearParamsSchema,
    body: undefined,
    successStatus: 200,
  }),
} as const;
