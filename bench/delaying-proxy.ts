import { createServer, request } from 'node:http';
import { listenOnLoopback } from '../sandbox/loopback.ts';

/**
 * An HTTP proxy on loopback that holds every request `delayMs` before passing it on to `target`:
 * a stand-in for the network between a function and Secrets Manager, which loopback does not have.
 */
export async function startDelayingProxy(target: string, delayMs: number): Promise<{ url: string; close: () => Promise<void> }> {
  const upstream = new URL(target);
  const server = createServer((incoming, outgoing) => {
    setTimeout(() => {
      const forwarded = request(
        { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', () => outgoing.destroy());
      incoming.pipe(forwarded);
    }, delayMs);
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
