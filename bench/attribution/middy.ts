/**
 * Stands in for `@middy/core` in the "middy removed" variant (bench/attribution.ts): the same
 * builder (`use`, `handler`) and order of hooks (before, the handler, after; onError on a throw)
 * that createHttpHandler relies on, without the library.
 */
interface Request {
  event: unknown;
  context: unknown;
  response: unknown;
  error: unknown;
  internal: Record<string, unknown>;
}
type Hook = (request: Request) => unknown;
interface Middleware {
  before?: Hook;
  after?: Hook;
  onError?: Hook;
}
type Handler = (event: unknown, context: unknown) => Promise<unknown>;

export default function middy() {
  const middlewares: Middleware[] = [];
  let work: Handler = () => Promise.resolve(undefined);
  const run = async (event: unknown, context: unknown): Promise<unknown> => {
    const request: Request = { event, context, response: undefined, error: undefined, internal: {} };
    try {
      for (const middleware of middlewares) await middleware.before?.(request);
      request.response = await work(event, context);
      for (const middleware of [...middlewares].reverse()) await middleware.after?.(request);
    } catch (error) {
      request.error = error;
      for (const middleware of [...middlewares].reverse()) await middleware.onError?.(request);
      if (request.response === undefined) throw error;
    }
    return request.response;
  };
  const builder = Object.assign(run, {
    use(middleware: Middleware) {
      middlewares.push(middleware);
      return builder;
    },
    handler(handler: Handler) {
      work = handler;
      return builder;
    },
  });
  return builder;
}
