import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { attemptDelivery } from '../../shared/notifications/attempt.ts';
import type { AttemptOptions } from '../../shared/notifications/attempt.ts';
import { testEndpoint, testEvent } from '../notifications/support.ts';

/** Issue 21 item 4, on the delivery attempt of issue 17: where webhooks may go, what is read of an answer, and no redirects. */
const EVENT = testEvent();

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

/** The URL set after parsing: the attempt checks the destination itself (the endpoint schema already refuses ftp: and file:). */
function attempt(url: string, options: Partial<AttemptOptions> = {}) {
  return attemptDelivery({ ...testEndpoint({ url: 'https://placeholder.example/x' }), url }, EVENT, { localRun: false, timeoutMs: 5_000, ...options });
}

describe('a receiver answering 300 MB', () => {
  it.each([200, 500])('with status %i is read for its first kilobyte only, the rest cancelled', { timeout: 60_000 }, async (status) => {
    const TOTAL = 300 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let written = 0;
    let closed = false;
    const url = await listen((request, response) => {
      request.resume();
      response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(TOTAL) });
      const pump = (): void => {
        while (written < TOTAL && !closed) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('close', () => void (closed = true));
      pump();
    });
    const before = process.memoryUsage().rss;
    const result = await attempt(url, { localRun: true });
    const grown = process.memoryUsage().rss - before;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(result.outcome).toBe(status === 200 ? 'delivered' : 'retry');
    expect(Buffer.byteLength(result.answer ?? '')).toBeLessThanOrEqual(1024);
    // What the socket buffers hold, not the answer: far below 300 MB (and below ky's 10 MB for error bodies).
    expect(written).toBeLessThan(8 * 1024 * 1024);
    expect(closed).toBe(true);
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('webhook destinations', () => {
  it.each([
    ['ftp:', 'ftp://hooks.example.com/x', /scheme ftp: refused/],
    ['file:', 'file:///etc/passwd', /scheme file: refused/],
    ['plain http:', 'http://hooks.example.com/x', /scheme http: refused/],
    ['instance metadata', 'https://169.254.169.254/latest/meta-data/', /address 169\.254\.169\.254 refused/],
    ["Lambda's Runtime API", 'https://127.0.0.1:9001/2018-06-01/runtime/invocation/next', /address 127\.0\.0\.1 refused/],
    ['IPv6 loopback', 'https://[::1]/x', /address ::1 refused/],
    ['10/8', 'https://10.1.2.3/x', /refused/],
    ['172.16/12', 'https://172.20.0.1/x', /refused/],
    ['192.168/16', 'https://192.168.1.10/x', /refused/],
    ['unique local fc00::/7', 'https://[fd12:3456::1]/x', /refused/],
    ['link-local fe80::/10', 'https://[fe80::1]/x', /refused/],
    ['IPv4-mapped IPv6', 'https://[::ffff:169.254.169.254]/x', /refused/],
    ['credentials in the URL', 'https://user:pw@hooks.example.com/x', /credentials/],
  ])('refuses %s with a clear error', async (_label, url, problem) => {
    const result = await attempt(url, { resolve: (host) => Promise.resolve([host]) });
    expect(result.outcome).toBe('retry');
    expect(result.status).toBeUndefined();
    expect(String(result.problem)).toMatch(problem);
  });

  it('checks the addresses a name resolves to, every one of them', async () => {
    const resolve = () => Promise.resolve(['93.184.215.14', '169.254.169.254']);
    const result = await attempt('https://hooks.example.com/x', { resolve });
    expect(String(result.problem)).toMatch(/address 169\.254\.169\.254 refused/);
  });

  it('refuses loopback outside local runs, and anything but loopback in them', async () => {
    let hits = 0;
    const url = await listen((_request, response) => {
      hits++;
      response.writeHead(204).end();
    });
    expect((await attempt(url)).outcome).toBe('retry');
    expect((await attempt('http://10.0.0.1/x', { localRun: true })).outcome).toBe('retry');
    expect(hits).toBe(0);
    expect((await attempt(url, { localRun: true })).outcome).toBe('delivered');
  });

  it('does not follow a redirect', async () => {
    let followed = 0;
    const elsewhere = await listen((_request, response) => {
      followed++;
      response.writeHead(204).end();
    });
    const url = await listen((request, response) => {
      request.resume();
      response.writeHead(307, { location: `${elsewhere}/stolen` }).end();
    });
    const result = await attempt(url, { localRun: true });
    expect(result).toMatchObject({ outcome: 'retry', status: 307, problem: 'answered 307 (redirects are not followed)' });
    expect(followed).toBe(0);
  });
});
