import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type * as z from '../zod.ts';
import { logger } from '../runtime/logger.ts';
import { httpContract, requestIdFor } from './middleware.ts';
import { parseRoutedRequest, requestContextOf } from './request.ts';
import type { ApiGatewayEvent, ParsedRequest, RequestContext } from './request.ts';
import { jsonResponse } from './response.ts';
import type { RouteSpec } from './route-spec.ts';

/**
 * The one HTTP stack every API function uses: Powertools' Lambda context on every log line,
 * the contract's middleware (middleware.ts), the request parsed with the route's schemas
 * (request.ts), the route's success status and JSON (response.ts).
 */

export type RouteWork<Params extends z.ZodMiniType, Body extends z.ZodMiniType, Response, Query extends z.ZodMiniType = z.ZodMiniType> = (
  request: ParsedRequest<z.output<Params>, z.output<Body>, z.output<Query>> & RequestContext,
) => Promise<Response>;

/** A Lambda handler for one route and its account version (`request.account`): parse → work → the route's success status and JSON. */
export function createHttpHandler<Params extends z.ZodMiniType, Body extends z.ZodMiniType, Response, Query extends z.ZodMiniType = z.ZodMiniType>(
  route: RouteSpec<Params, Body, Response, Query>,
  work: RouteWork<Params, Body, Response, Query>,
) {
  return middy<ApiGatewayEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpContract(route.operationId))
    .handler(async (event, context) => {
      const request = { ...parseRoutedRequest(route, event ?? {}), ...requestContextOf(event ?? {}, context), requestId: requestIdFor(context) ?? 'unknown' };
      return jsonResponse(route.successStatus, await work(request));
    });
}
