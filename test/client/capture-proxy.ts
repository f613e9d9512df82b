import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { listenOnLoopback, readBody } from '../../sandbox/loopback.ts';

export interface CapturedRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An answer the proxy gives instead of forwarding, as API Gateway itself would (throttling, 5xx). */
export type Interjection = { status: number; headers?: Record<string, string>; body: string } | 'hang';

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
