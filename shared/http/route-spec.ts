import type * as z from '../zod.ts';

/** One route of the HTTP API: what the handler parses, the gateway matches and OpenAPI documents. */
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
  /** Type only: the success body the handler returns (its schema is in response-schemas.ts). */
  readonly response?: Response;
}

/** `route<SuccessBody>()({...})`: the body type is given, the schemas are inferred. */
export function route<Response>() {
  return <Params extends z.ZodMiniType, Body extends z.ZodMiniType>(
    spec: RouteSpec<Params, Body, Response>,
  ): RouteSpec<Params, Body, Response> => spec;
}
