import type * as z from '../zod.ts';

/** One route of the HTTP API: what the handler parses, the gateway matches and OpenAPI documents. */
export interface RouteSpec<
  Params extends z.ZodMiniType = z.ZodMiniType,
  Body extends z.ZodMiniType = z.ZodMiniType,
  Response = unknown,
  Query extends z.ZodMiniType = z.ZodMiniType,
> {
  operationId: string;
  /** The function serving it: functions/<entry>.ts, one Lambda per route. */
  entry: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway resource path, e.g. /sequences/{id}/register */
  path: string;
  summary: string;
  params: Params | undefined;
  body: Body | undefined;
  /** The query string's parameters (GET /notifications); routes without it ignore the query. */
  query?: Query | undefined;
  successStatus: 200 | 201 | 202;
  /** Type only: the success body the handler returns (its schema is in response-schemas.ts). */
  readonly response?: Response;
}

/** `route<SuccessBody>()({...})`: the body type is given, the schemas are inferred. */
export function route<Response>() {
  return <Params extends z.ZodMiniType, Body extends z.ZodMiniType, Query extends z.ZodMiniType = z.ZodMiniType>(
    spec: RouteSpec<Params, Body, Response, Query>,
  ): RouteSpec<Params, Body, Response, Query> => spec;
}
