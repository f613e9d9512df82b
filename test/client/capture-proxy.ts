import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { listenOnLoopback, readBody } from '../../sandbox/loopback.ts';
import { startLocalStack } from '../support/local-stack.ts';
import type { LocalStack } from '../support/local-stack.ts';

export interface CapturedRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An answer the proxy gives instead of forwarding, as API Gateway itself would (throttling, 5xx). */
type Interjection = { status: number; headers?: Record<string, string>; body: string } | 'hang';

export interface CaptureProxy {
  readonly url: string;
  /** Every request, exactly as it arrived (headers lower-cased by Node). */
  readonly requests: CapturedRequest[];
  /** The next requests get these answers, in order, instead of being forwarded. */
  interject(...answers: Interjection[]): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/**
 * A loopback proxy in front of the local gateway that records each request as it arrived, so tests
 * see the signature headers a real API Gateway would check, and can answer in the gateway's place.
 */
export async function startCaptureProxy(target: string): Promise<CaptureProxy> {
  const requests: CapturedRequest[] = [];
  const pending: Interjection[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: body.toString('utf8') });
      const interjection = pending.shift();
      if (interjection === 'hang') return;
      if (interjection) {
        response.writeHead(interjection.status, { 'content-type': 'application/json', ...interjection.headers });
        response.end(interjection.body);
        return;
      }
      const forwarded = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string' && !HOP_BY_HOP.has(name)) forwarded.set(name, value);
      }
      const answer = await fetch(`${target}${request.url ?? '/'}`, {
        method: request.method ?? 'GET',
        headers: forwarded,
        body: body.length > 0 ? body : undefined,
      });
      const headers = Object.fromEntries([...answer.headers].filter(([name]) => !HOP_BY_HOP.has(name)));
      response.writeHead(answer.status, headers);
      response.end(Buffer.from(await answer.arrayBuffer()));
    })();
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    requests,
    interject: (...answers) => pending.push(...answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The local stack (what `npm start` runs) behind a capture proxy, for one test file: started
 * before its tests, closed after, and the sandbox and the capture emptied before each test.
 */
export function useStackBehindProxy(): { readonly stack: LocalStack; readonly proxy: CaptureProxy } {
  let stack: LocalStack | undefined;
  let proxy: CaptureProxy | undefined;
  beforeAll(async () => {
    stack = await startLocalStack();
    proxy = await startCaptureProxy(stack.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await stack?.close();
  });
  beforeEach(() => {
    stack?.sandbox.reset();
    if (proxy) proxy.requests.length = 0;
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the local stack is not started yet (use it inside a test)');
    return value;
  };
  return {
    get stack() {
      return started(stack);
    },
    get proxy() {
      return started(proxy);
    },
  };
}
