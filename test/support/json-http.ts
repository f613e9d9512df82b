import type { LocalStack } from './local-stack.ts';

/** An answer as the tests read it: status, Retry-After, and the JSON body ({} when empty). */
export interface JsonAnswer {
  status: number;
  retryAfter: string | null;
  json: Record<string, unknown>;
}

/** One JSON request over real HTTP. */
async function sendJson(url: string, method: string, body?: unknown): Promise<JsonAnswer> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** The local API (`api`) and the sandbox's control endpoint (`control`) of a stack started later (in beforeAll). */
export function stackHttp(stackOf: () => LocalStack) {
  return {
    api: (method: string, path: string, body?: unknown) => sendJson(`${stackOf().url}${path}`, method, body),
    control: (method: string, path: string, body?: unknown) => sendJson(`${stackOf().sandbox.controlUrl}${path}`, method, body),
  };
}
