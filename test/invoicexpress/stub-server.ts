import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A tiny scripted HTTP server for exact wire-level checks the sandbox does not model. */
interface StubRequest {
  method: string;
  /** Full request target, query included (this is a test double: it may see the key). */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

type StubReply = { status: number; body?: string; headers?: Record<string, string> } | 'hang' | 'destroy';

type StubHandler = (request: StubRequest) => StubReply;

export interface Stub {
  url: string;
  requests: StubRequest[];
  /** Replies used in order; the last one repeats. */
  reply(...replies: (StubReply | StubHandler)[]): void;
  close(): Promise<void>;
}

export async function startStub(): Promise<Stub> {
  const requests: StubRequest[] = [];
  let replies: (StubReply | StubHandler)[] = [{ status: 200, body: '{}' }];
  let index = 0;
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const parsed = new URL(req.url ?? '/', 'http://stub');
      const request: StubRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        path: parsed.pathname,
        query: parsed.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const next = replies[Math.min(index, replies.length - 1)] ?? { status: 500 };
      index++;
      const reply = typeof next === 'function' ? next(request) : next;
      if (reply === 'hang') {
        hanging.add(res);
        return;
      }
      if (reply === 'destroy') {
        req.socket.destroy();
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${String(port)}`,
    requests,
    reply(...next) {
      replies = next;
      index = 0;
      requests.length = 0;
    },
    async close() {
      for (const res of hanging) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
