import type { APIGatewayProxyResult } from 'aws-lambda';
import type { ApiError, ApiErrorDetail } from './api-error.ts';

/** What every API answer is made of: JSON bodies, and error bodies bounded whatever the input. */

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { ...headers, 'content-type': JSON_CONTENT_TYPE }, body: JSON.stringify(body) };
}

/**
 * Error bodies are bounded whatever the input (a huge body must not answer a huge error: Lambda's
 * 6 MB response limit, log volume): at most MAX_DETAILS details, each path and message cut to
 * a fixed length, and the whole body at most MAX_ERROR_BODY_BYTES.
 */
const MAX_ERROR_BODY_BYTES = 8192;
const MAX_DETAILS = 20;
const MAX_MESSAGE_CHARS = 300;
const MAX_DETAIL_PATH_CHARS = 100;
const MAX_DETAIL_MESSAGE_CHARS = 250;

/** The text, cut to `max` characters with an ellipsis. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function errorBodyOf(error: ApiError, details: readonly ApiErrorDetail[], requestId: string): string {
  return JSON.stringify({
    error: {
      code: error.code,
      message: cut(error.message, MAX_MESSAGE_CHARS),
      ...(details.length > 0 ? { details } : {}),
      ...(error.runId === undefined ? {} : { runId: error.runId }),
      requestId,
    },
  });
}

/** The first details that fit, the last one saying how many more there were. */
function boundedErrorBody(error: ApiError, requestId: string): string {
  const all = error.details ?? [];
  const cutDetails = (count: number): ApiErrorDetail[] => {
    const kept = all.slice(0, count).map((detail) => ({
      path: cut(detail.path, MAX_DETAIL_PATH_CHARS),
      message: cut(detail.message, MAX_DETAIL_MESSAGE_CHARS),
    }));
    return count < all.length ? [...kept, { path: '', message: `and ${String(all.length - count)} more` }] : kept;
  };
  let count = all.length <= MAX_DETAILS ? all.length : MAX_DETAILS - 1;
  let body = errorBodyOf(error, cutDetails(count), requestId);
  // Escaped or multi-byte text can still be too long: drop details from the end until it fits.
  while (Buffer.byteLength(body) > MAX_ERROR_BODY_BYTES && count > 0) {
    count -= 1;
    body = errorBodyOf(error, cutDetails(count), requestId);
  }
  return body;
}

export function errorResponse(error: ApiError, requestId: string): APIGatewayProxyResult {
  return {
    statusCode: error.status,
    headers: { ...error.headers, 'content-type': JSON_CONTENT_TYPE },
    body: boundedErrorBody(error, requestId),
  };
}
