import * as z from '../zod.ts';
import { RolloverInputSchema } from '../rollover/schemas.ts';
import type { RolloverReadiness, RolloverResult } from '../rollover/result.ts';
import { SerieNameSchema } from '../sequence.ts';
import type { Sequence } from '../sequence.ts';

/**
 * The HTTP API of the contract (section 1 and the rollover routes of section 2), as data: the
 * handlers parse with these schemas, the local gateway routes with them and the OpenAPI document
 * is generated from them, so the three cannot disagree. Success bodies are typed here and
 * described by schemas in responses.ts, which only the OpenAPI generator and the tests load (every
 * 2xx body the handler tests see is checked against them).
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

export interface RouteSpec<
  Params extends z.ZodMiniType = z.ZodMiniType,
  Body extends z.ZodMiniType = z.ZodMiniType,
  Response = unknown,
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
  successStatus: 200 | 201;
  /** Type only: the success body the handler returns (its schema is in responses.ts). */
  readonly response?: Response;
}

/** `route<SuccessBody>()({...})`: the body type is given, the schemas are inferred. */
function route<Response>() {
  return <Params extends z.ZodMiniType, Body extends z.ZodMiniType>(
    spec: RouteSpec<Params, Body, Response>,
  ): RouteSpec<Params, Body, Response> => spec;
}

type SequenceBody = { sequence: Sequence };

export const routes = {
  listSequences: route<{ sequences: Sequence[] }>()({
    operationId: 'listSequences',
    entry: 'list-sequences',
    method: 'GET',
    path: '/sequences',
    summary: 'Every sequence (serie) of the account',
    params: undefined,
    body: undefined,
    successStatus: 200,
  }),
  getSequence: route<SequenceBody>()({
    operationId: 'getSequence',
    entry: 'get-sequence',
    method: 'GET',
    path: '/sequences/{id}',
    summary: 'One sequence',
    params: IdParamsSchema,
    body: undefined,
    successStatus: 200,
  }),
  createSequence: route<SequenceBody>()({
    operationId: 'createSequence',
    entry: 'create-sequence',
    method: 'POST',
    path: '/sequences',
    summary: 'Create a serie (InvoiceXpress registers it with AT when it can)',
    params: undefined,
    body: CreateSequenceBodySchema,
    successStatus: 201,
  }),
  registerSequence: route<SequenceBody>()({
    operationId: 'registerSequence',
    entry: 'register-sequence',
    method: 'PUT',
    path: '/sequences/{id}/register',
    summary: 'Communicate the serie to AT; safe to repeat',
    params: IdParamsSchema,
    body: NoBodySchema,
    successStatus: 200,
  }),
  setCurrentSequence: route<SequenceBody>()({
    operationId: 'setCurrentSequence',
    entry: 'set-current-sequence',
    method: 'PUT',
    path: '/sequences/{id}/set_current',
    summary: 'Make the sequence the account default; safe to repeat; refused (409) while not registered',
    params: IdParamsSchema,
    body: NoBodySchema,
    successStatus: 200,
  }),
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

export type RouteName = keyof typeof routes;
