import { randomUUID } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { isInvoiceXpressError } from '../invoicexpress/errors.ts';
import { logger } from '../runtime/logger.ts';
import { ApiError, toApiError } from './api-error.ts';
import type { ApiGatewayEvent } from './request.ts';
import { errorResponse } from './response.ts';

/**
 * The contract every API answer keeps (middy middleware): the request id and `x-request-id` on
 * every answer, the error table applied once, one log line per request.
 */

interface RequestState extends Record<string, unknown> {
  requestId: string;
  startedAt: number;
}

function requestIdOf(event: ApiGatewayEvent): string {
  const fromGateway = event.requestContext?.requestId;
  return typeof fromGateway === 'string' && fromGateway.length > 0 ? fromGateway : randomUUID();
}

/** Per invocation (keyed by the Lambda context): the request id the answer carries, and when it started. */
const state = new WeakMap<object, RequestState>();

/** The x-request-id of the invocation `context` belongs to (its events' origin: evt_<requestId>_<n>). */
export function requestIdFor(context: object): string | undefined {
  return state.get(context)?.requestId;
}

export function httpContract(operationId: string): MiddlewareObj<ApiGatewayEvent, APIGatewayProxyResult> {
  const stateOf = (context: object): RequestState => state.get(context) ?? { requestId: 'unknown', startedAt: Date.now() };

  const finish = (context: object, event: ApiGatewayEvent, response: APIGatewayProxyResult, failure?: unknown) => {
    const { requestId, startedAt } = stateOf(context);
    response.headers = { ...response.headers, 'x-request-id': requestId };
    const line = {
      route: operationId,
      method: typeof event.httpMethod === 'string' ? event.httpMethod : undefined,
      status: response.statusCode,
      durationMs: Date.now() - startedAt,
      requestId,
      // Only our own words: kind/status of InvoiceXpress failures, the class of anything else.
      ...(isInvoiceXpressError(failure)
        ? { upstream: { kind: failure.kind, status: failure.status, operation: failure.operation } }
        : failure instanceof ApiError || failure === undefined
          ? {}
          : { failure: failure instanceof Error ? failure.name : typeof failure }),
    };
    if (response.statusCode >= 500) logger.error('request', line);
    else logger.info('request', line);
  };

  return {
    before: (request) => {
      state.set(request.context, { requestId: requestIdOf(request.event ?? {}), startedAt: Date.now() });
    },
    after: (request) => {
      if (request.response) finish(request.context, request.event ?? {}, request.response);
    },
    onError: (request) => {
      const { requestId } = stateOf(request.context);
      request.response = errorResponse(toApiError(request.error), requestId);
      finish(request.context, request.event ?? {}, request.response, request.error);
    },
  };
}
