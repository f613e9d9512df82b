import { fork } from 'node:child_process';

/**
 * Warm measurements, in a child process of their own (`--expose-gc`, nothing else on its heap;
 * the sandbox and Secrets Manager stay in the caller's process): one handler module invoked
 * in-process with realistic events, as a warm Lambda container runs it. Used by `npm run bench`
 * (deployed bundles, timing and heap) and by the soak test (sources, heap only).
 *
 * 1. warm-up requests (secret cached, connections open, code compiled);
 * 2. `timedRequests` pairs, interleaved: one through the handler, one bare client call;
 * 3. heap after GC, then `heapRequests` more through the handler, with the heap after GC at
 *    each checkpoint.
 */

export interface WarmRequest {
  /** A module exporting `handler` (a bundle, or a functions/*.ts source). */
  handlerModule: string;
  /** Function name: its event comes from bench/events.ts. */
  functionName: string;
  /** The bare client call to time against (bench/bare-client.ts, bundled or not). */
  bare?: { module: string; accountName: string; apiKey: string; baseUrl: string };
  warmupRequests: number;
  timedRequests: number;
  heapRequests: number;
  /** Request counts (within the heap phase) at which the heap is read; the last is heapRequests. */
  checkpoints: number[];
}

export interface Latency {
  p50: number;
  p99: number;
}

export interface WarmResult {
  handler?: Latency;
  bare?: Latency;
  heap: {
    baseBytes: number;
    checkpoints: { requests: number; growthBytes: number }[];
    /** Heap growth after GC once all heapRequests have run. */
    growthBytes: number;
    /** Wall time of the heap phase (the requests and the GCs). */
    elapsedMs: number;
  };
}

type ChildMessage = { result: WarmResult } | { error: string };

const CHILD = new URL('./warm-child.ts', import.meta.url).pathname;

/** Runs the measurement in a fresh child with `env` (the function's environment) and returns it. */
export function measureWarm(request: WarmRequest, env: Record<string, string>): Promise<WarmResult> {
  const child = fork(CHILD, [], { execArgv: ['--expose-gc'], env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const stderr: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    let answered = false;
    child.once('message', (message: ChildMessage) => {
      answered = true;
      if ('result' in message) resolve(message.result);
      else reject(new Error(`warm measurement failed: ${message.error}`));
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (!answered) reject(new Error(`warm child exited with ${String(code)}: ${Buffer.concat(stderr).toString('utf8').slice(0, 2000)}`));
    });
    child.send(request);
  });
}
