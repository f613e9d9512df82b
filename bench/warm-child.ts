import { pathToFileURL } from 'node:url';
import { lambdaContext } from '../local/api-gateway-event.ts';
import { FUNCTION_EVENTS, EXPECTED_ANSWER, SEEDED_ID } from './events.ts';
import { percentile } from './stats.ts';
import type { Latency, WarmRequest, WarmResult } from './warm.ts';

/** The child side of bench/warm.ts: receives one WarmRequest, answers one WarmResult, exits. */

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode?: number; outcome?: string }>;
type BareGet = (id: number) => Promise<unknown>;

const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(file).href)) as T;

/** Heap in use once garbage is collected (a few passes, letting finalizers and callbacks run). */
async function settledHeap(): Promise<number> {
  const collect = globalThis.gc;
  if (collect === undefined) throw new Error('the warm child needs --expose-gc');
  for (let pass = 0; pass < 3; pass++) {
    await new Promise((resolve) => setImmediate(resolve));
    collect();
  }
  return process.memoryUsage().heapUsed;
}

const latency = (samples: number[]): Latency => ({ p50: percentile(samples, 50), p99: percentile(samples, 99) });

async function measure(request: WarmRequest): Promise<WarmResult> {
  const { handler } = await load<{ handler: Handler }>(request.handlerModule);
  const event = FUNCTION_EVENTS[request.functionName];
  const expected = EXPECTED_ANSWER[request.functionName];
  if (event === undefined || expected === undefined) throw new Error(`no event for ${request.functionName}`);
  let sample = 0;
  const invoke = async (): Promise<void> => {
    const answer = await handler(event(sample++), lambdaContext(request.functionName));
    if ((answer.statusCode ?? answer.outcome) !== expected) throw new Error(`handler answered ${JSON.stringify(answer)}`);
  };
  const bare = request.bare
    ? (await load<{ bareGetSequence: (options: NonNullable<WarmRequest['bare']>) => BareGet }>(request.bare.module)).bareGetSequence(request.bare)
    : undefined;

  for (let i = 0; i < request.warmupRequests; i++) {
    await invoke();
    await bare?.(SEEDED_ID);
  }

  const handlerMs: number[] = [];
  const bareMs: number[] = [];
  for (let i = 0; i < request.timedRequests; i++) {
    let started = performance.now();
    await invoke();
    handlerMs.push(performance.now() - started);
    if (bare === undefined) continue;
    started = performance.now();
    await bare(SEEDED_ID);
    bareMs.push(performance.now() - started);
  }

  const heapStarted = performance.now();
  const baseBytes = await settledHeap();
  const checkpoints: WarmResult['heap']['checkpoints'] = [];
  const marks = new Set([...request.checkpoints, request.heapRequests]);
  for (let done = 1; done <= request.heapRequests; done++) {
    await invoke();
    if (marks.has(done)) checkpoints.push({ requests: done, growthBytes: (await settledHeap()) - baseBytes });
  }
  return {
    ...(handlerMs.length > 0 ? { handler: latency(handlerMs) } : {}),
    ...(bareMs.length > 0 ? { bare: latency(bareMs) } : {}),
    heap: {
      baseBytes,
      checkpoints,
      growthBytes: checkpoints.at(-1)?.growthBytes ?? 0,
      elapsedMs: performance.now() - heapStarted,
    },
  };
}

process.once('message', (request: WarmRequest) => {
  const reply = (message: { result: WarmResult } | { error: string }): void => {
    process.send?.(message, () => process.exit(0));
  };
  measure(request).then(
    (result) => reply({ result }),
    (error: unknown) => reply({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
