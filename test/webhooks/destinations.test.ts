import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RolloverResult } from '../../shared/rollover/result.ts';
import { deliverWebhooks } from '../../shared/webhooks/deliver.ts';

/** Issue 21 item 4: where webhooks may go, what is read of an answer, and no redirects. */
const SECRET = 'whsec-destinations-test';
const RESULT = {
  runId: '2027-20261201T000000000Z-abc123',
  year: 2027,
  serie: '2027',
  phase: 'prepare',
  dryRun: false,
  outcome: 'ready',
  steps: [],
  startedAt: '2026-12-01T00:00:00.000Z',
  finishedAt: '2026-12-01T00:00:01.000Z',
  calls: { list: 1, get: 0, create: 0, register: 0, set_current: 0 },
} as unknown as RolloverResult;

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

function logged() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: { warn: (_message: string, attributes: Record<string, unknown>) => void lines.push(attributes) } };
}

const FAST = { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 5_000, retries: 0 };

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
    const report = await deliverWebhooks(RESULT, [{ url, secret: SECRET }], { ...FAST, localRun: true });
    const grown = process.memoryUsage().rss - before;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(report).toEqual(status === 200 ? { delivered: 1, failed: 0 } : { delivered: 0, failed: 1 });
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
    const { lines, logger } = logged();
    const report = await deliverWebhooks(RESULT, [{ url, secret: SECRET }], { ...FAST, logger, resolve: (host) => Promise.resolve([host]) });
    expect(report).toEqual({ delivered: 0, failed: 1 });
    expect(String(lines[0]?.['problem'])).toMatch(problem);
  });

  it('checks the addresses a name resolves to, every one of them', async () => {
    const { lines, logger } = logged();
    const resolve = () => Promise.resolve(['93.184.215.14', '169.254.169.254']);
    await deliverWebhooks(RESULT, [{ url: 'https://hooks.example.com/x', secret: SECRET }], { ...FAST, logger, resolve });
    expect(String(lines[0]?.['problem'])).toMatch(/address 169\.254\.169\.254 refused/);
  });

  it('refuses loopback outside local runs, and anything but loopback in them', async () => {
    let hits = 0;
    const url = await listen((_request, response) => {
      hits++;
      response.writeHead(204).end();
    });
    expect(await deliverWebhooks(RESULT, [{ url, secret: SECRET }], FAST)).toEqual({ delivered: 0, failed: 1 });
    expect(await deliverWebhooks(RESULT, [{ url: 'http://10.0.0.1/x', secret: SECRET }], { ...FAST, localRun: true })).toEqual({ delivered: 0, failed: 1 });
    expect(hits).toBe(0);
    expect(await deliverWebhooks(RESULT, [{ url, secret: SECRET }], { ...FAST, localRun: true })).toEqual({ delivered: 1, failed: 0 });
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
    const { lines, logger } = logged();
    const report = await deliverWebhooks(RESULT, [{ url, secret: SECRET }], { ...FAST, logger, localRun: true });
    expect(report).toEqual({ delivered: 0, failed: 1 });
    expect(followed).toBe(0);
    expect(String(lines[0]?.['problem'])).toBe('answered 307');
  });
});
