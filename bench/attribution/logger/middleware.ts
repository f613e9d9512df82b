import type { MiddlewareObj } from '@middy/core';

/**
 * Stands in for `@aws-lambda-powertools/logger/middleware` in the "logger removed" variant: the
 * Lambda context is not added to the lines (that is part of what the library costs). middy
 * refuses a middleware without a hook, hence the empty one.
 */
export function injectLambdaContext(): MiddlewareObj {
  return { before: () => undefined };
}
