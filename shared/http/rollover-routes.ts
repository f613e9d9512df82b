import * as z from '../zod.ts';
import type { RolloverReadiness, RolloverResult, RolloverRunRecordView } from '../rollover/result.ts';
import { RolloverInputSchema, RunIdSchema } from '../rollover/schemas.ts';
import { route } from './route-spec.ts';

/** The rollover routes. Functions import only the module they serve. */

const YearParamsSchema = z.strictObject({
  year: z
    .pipe(z.string().check(z.regex(/^2[0-9]{3}$/, 'must be a year between 2000 and 2999')), z.transform(Number))
    .check(z.describe('The calendar year, e.g. 2027')),
});

const RunIdParamsSchema = z.strictObject({
  runId: RunIdSchema.check(z.describe('The run id, as returned by POST /rollover and listed by GET /rollover/{year}')),
});

export const rolloverRoutes = {
  runRollover: route<RolloverResult>()({
    operationId: 'runRollover',
    entry: 'rollover-run',
    method: 'POST',
    path: '/rollover',
    summary: 'Run a rollover phase now (dryRun plans without changing anything); one run per account and year at a time',
    params: undefined,
    body: RolloverInputSchema,
    successStatus: 200,
  }),
  rolloverStatus: route<RolloverReadiness>()({
    operationId: 'rolloverStatus',
    entry: 'rollover-status',
    method: 'GET',
    path: '/rollover/{year}',
    summary: "Readiness of the year's serie (read-only) and the year's last runs",
    params: YearParamsSchema,
    body: undefined,
    successStatus: 200,
  }),
  rolloverRunRecord: route<RolloverRunRecordView>()({
    operationId: 'rolloverRunRecord',
    entry: 'rollover-run-record',
    method: 'GET',
    path: '/rollover/runs/{runId}',
    summary: 'One real run on record: how it was triggered, what it did, how it ended',
    params: RunIdParamsSchema,
    body: undefined,
    successStatus: 200,
  }),
} as const;
