import * as z from '../zod.ts';
import {
  RolloverInputSchema,
  RolloverReadinessSchema,
  RolloverResultSchema,
} from '../rollover/schemas.ts';
import { SequenceSchema, SerieNameSchema } from '../sequence.ts';

/**
 * The HTTP API of the contract (section 1 and the rollover routes of section 2), as data: the
 * handlers parse with these schemas, the local gateway routes with them and the OpenAPI document
 * is generated from them, so the three cannot disagree.
 */

const IdParamsSchema = z.strictObject({
  id: z
    .pipe(
      z.string().check(z.regex(/^[1-9][0-9]{0,14}$/, 'must be a positive integer')),
      z.transform(Number),
    )
    .check(z.describe('The sequence id (a positive integer)')),
});

const YearParamsSchema = z.strictObject({
  year: z
    .pipe(
      z.string().check(z.regex(/^2[0-9]{3}$/, 'must be a year between 2000 and 2999')),
      z.transform(Number),
    )
    .check(z.describe('The calendar year, e.g. 2027')),
});

export const CreateSequenceBodySchema = z.strictObject({
  serie: SerieNameSchema,
  default: z._default(z.boolean(), false).check(z.describe('Make it the account default at once (default false)')),
});

/** Register and set_current take no body; an empty object is tolerated. */
const NoBodySchema = z.optional(z.strictObject({}));

const SequenceEnvelopeSchema = z.object({ sequence: SequenceSchema });
const SequenceListSchema = z.object({ sequences: z.array(SequenceSchema) });

export interface RouteSpec<
  Params extends z.ZodMiniType = z.ZodMiniType,
  Body extends z.ZodMiniType = z.ZodMiniType,
  Response extends z.ZodMiniType = z.ZodMiniType,
> {
  operationId: string;
  /** The function serving it: functions/<entry>.ts, one Lambda per route. */
  entry: string;
  method: 'GET' | 'POST' | 'PUT';
  /** API Gateway resource path, e.g. /sequences/{id}/register */
  path: string;
  summary: string;
  params: Params | undefined;
  body: Body | undefined;
  success: { status: 200 | 201; schema: Response; description: string };
  /** Error codes this route can answer besides the common ones (400, 415, 500, 502, 504). */
  errors: readonly number[];
}

function route<Params extends z.ZodMiniType, Body extends z.ZodMiniType, Response extends z.ZodMiniType>(
  spec: RouteSpec<Params, Body, Response>,
): RouteSpec<Params, Body, Response> {
  return spec;
}

export const routes = {
  listSequences: route({
    operationId: 'listSequences',
    entry: 'list-sequences',
    method: 'GET',
    path: '/sequences',
    summary: 'Every sequence (serie) of the account',
    params: undefined,
    body: undefined,
    success: { status: 200, schema: SequenceListSchema, description: 'The sequences' },
    errors: [429],
  }),
  getSequence: route({
    operationId: 'getSequence',
    entry: 'get-sequence',
    method: 'GET',
    path: '/sequences/{id}',
    summary: 'One sequence',
    params: IdParamsSchema,
    body: undefined,
    success: { status: 200, schema: SequenceEnvelopeSchema, description: 'The sequence' },
    errors: [404, 429],
  }),
  createSequence: route({
    operationId: 'createSequence',
    entry: 'create-sequence',
    method: 'POST',
    path: '/sequences',
    summary: 'Create a serie (InvoiceXpress registers it with AT when it can)',
    params: undefined,
    body: CreateSequenceBodySchema,
    success: { status: 201, schema: SequenceEnvelopeSchema, description: 'The created sequence' },
    errors: [409, 422, 429],
  }),
  registerSequence: route({
    operationId: 'registerSequence',
    entry: 'register-sequence',
    method: 'PUT',
    path: '/sequences/{id}/register',
    summary: 'Communicate the serie to AT; safe to repeat',
    params: IdParamsSchema,
    body: NoBodySchema,
    success: { status: 200, schema: SequenceEnvelopeSchema, description: 'The sequence after registration' },
    errors: [404, 422, 429],
  }),
  setCurrentSequence: route({
    operationId: 'setCurrentSequence',
    entry: 'set-current-sequence',
    method: 'PUT',
    path: '/sequences/{id}/set_current',
    summary: 'Make the sequence the account default; safe to repeat; refused (409) while not registered',
    params: IdParamsSchema,
    body: NoBodySchema,
    success: { status: 200, schema: SequenceEnvelopeSchema, description: 'The sequence after the switch' },
    errors: [404, 409, 429],
  }),
  runRollover: route({
    operationId: 'runRollover',
    entry: 'rollover-run',
    method: 'POST',
    path: '/rollover',
    summary: 'Run a rollover phase now (dryRun plans without changing anything)',
    params: undefined,
    body: RolloverInputSchema,
    success: {
      status: 200,
      schema: RolloverResultSchema,
      description: 'The rollover result; check `outcome` (a run that failed answers 200 with outcome "failed")',
    },
    errors: [429],
  }),
  rolloverStatus: route({
    operationId: 'rolloverStatus',
    entry: 'rollover-status',
    method: 'GET',
    path: '/rollover/{year}',
    summary: "Readiness of the year's serie (read-only)",
    params: YearParamsSchema,
    body: undefined,
    success: { status: 200, schema: RolloverReadinessSchema, description: 'The readiness report' },
    errors: [429],
  }),
} as const;

export type RouteName = keyof typeof routes;
