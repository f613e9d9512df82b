/**
 * Stands in for `ky` in the "ky removed" variant: one `fetch` per call with the options the
 * client passes (method, searchParams, headers, body, timeout), an error carrying the response
 * for an HTTP failure; no retries or hooks (a cold GET answered 200 needs neither).
 */
interface CallOptions {
  method?: string;
  searchParams?: Record<string, string | number | boolean>;
  headers?: Record<string, string>;
  body?: string | undefined;
  timeout?: number;
}

class HTTPError extends Error {
  override readonly name = 'HTTPError';
  readonly response: Response;
  constructor(response: Response) {
    super(`Request failed with status code ${String(response.status)}`);
    this.response = response;
  }
}

export const isHTTPError = (error: unknown): error is HTTPError => error instanceof HTTPError;
export const isTimeoutError = (error: unknown): boolean => error instanceof Error && error.name === 'TimeoutError';

function call(url: string, options: CallOptions = {}) {
  const target = new URL(url);
  for (const [key, value] of Object.entries(options.searchParams ?? {})) target.searchParams.set(key, String(value));
  const response = fetch(target, {
    method: options.method ?? 'GET',
    redirect: 'manual',
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.timeout === undefined ? {} : { signal: AbortSignal.timeout(options.timeout) }),
  }).then((answer) => {
    if (!answer.ok) throw new HTTPError(answer);
    return answer;
  });
  return { text: async () => (await response).text() };
}

export default { create: () => call, retry: (options: unknown) => options };
