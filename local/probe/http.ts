import { ProbeFailure } from './errors.ts';

/** The only HTTP the probe does: GET, and nothing else can be sent. */

const REQUEST_TIMEOUT_MS = 10_000;

export interface ProbeResponse {
  /** Path and query as sent, without the key. */
  path: string;
  status: number;
  headers: Headers;
  text: string;
}

/** GET `path` (with optional query) on the account. There is no way to send another method. */
export type ProbeGet = (path: string, query?: Record<string, string>) => Promise<ProbeResponse>;

function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${String(REQUEST_TIMEOUT_MS / 1000)} s`;
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return (cause as NodeJS.ErrnoException).code ?? (cause instanceof Error ? cause.message : String(cause));
}

export function httpGet(baseUrl: string, apiKey: string): ProbeGet {
  return async (path, query = {}) => {
    const url = new URL(`${baseUrl}${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    url.searchParams.set('api_key', apiKey);
    let response: Response;
    try {
      // No method given: fetch sends GET. A redirect would carry the key elsewhere: not followed.
      response = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new ProbeFailure(`could not reach ${baseUrl} (GET ${path}): ${networkReason(error)}`);
    }
    const search = new URLSearchParams(query).toString();
    const shown = search === '' ? path : `${path}?${search}`;
    return { path: shown, status: response.status, headers: response.headers, text: await response.text() };
  };
}
