import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts `server` on 127.0.0.1 (port 0: any free port) and returns its base URL. */
export async function listenOnLoopback(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

/** The whole request body. */
export function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** A start-up problem told in one line (no stack trace): a bad setting or a busy port. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  /** 2: a bad setting (usage); 1: the environment (e.g. the port is taken). */
  readonly exitCode: 1 | 2;

  constructor(message: string, exitCode: 1 | 2) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The port in environment variable `name` (unset or empty: `fallback`); 0 picks a free one. */
export function portFromEnvironment(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) {
    throw new StartupError(`${name} must be a port number from 0 to 65535 (0 picks a free port), got "${raw}"`, 2);
  }
  return port;
}

/**
 * Runs `start` (which listens on `port`, chosen by environment variable `variable`); a busy or
 * forbidden port becomes a StartupError naming the variable.
 */
export async function listeningOn<T>(variable: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new StartupError(`${variable}=${String(port)}: the port is already in use; set ${variable} to a free port (0 picks one)`, 1);
    }
    if (code === 'EACCES') throw new StartupError(`${variable}=${String(port)}: not allowed to listen on this port; choose another`, 1);
    throw error;
  }
}
