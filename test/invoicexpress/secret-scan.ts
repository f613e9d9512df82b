import { inspect } from 'node:util';
import { vi } from 'vitest';

/** Every textual form a secret could take once it went through a URL or a JSON body. */
export function secretNeedles(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), new URLSearchParams({ k: secret }).toString().slice(2), JSON.stringify(secret).slice(1, -1)])];
}

function textOf(value: unknown): string[] {
  const out: string[] = [];
  try {
    out.push(inspect(value, { depth: Infinity, showHidden: true, getters: true, maxArrayLength: null, maxStringLength: null }));
  } catch (error) {
    out.push(`<inspect failed: ${String(error)}>`);
  }
  try {
    out.push(JSON.stringify(value) ?? '');
  } catch {
    // cyclic: covered by the walk below
  }
  try {
    out.push(String(value));
  } catch {
    // objects without a string form
  }
  return out;
}

/**
 * Deep-scans a thrown value: message, stack, cause chain, every own property (string and symbol
 * keys, enumerable or not), prototype-less containers, JSON and util.inspect renderings. Returns
 * the places a needle was found (empty means clean).
 */
export function findSecret(value: unknown, needles: readonly string[]): string[] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  const check = (where: string, text: string): void => {
    for (const needle of needles) if (text.includes(needle)) found.push(`${where} contains ${JSON.stringify(needle)}`);
  };
  const walk = (current: unknown, where: string, depth: number): void => {
    if (typeof current === 'string') {
      check(where, current);
      return;
    }
    if (typeof current === 'number' || typeof current === 'bigint' || typeof current === 'boolean') return;
    if (typeof current !== 'object' && typeof current !== 'function') return;
    if (current === null || seen.has(current) || depth > 12) return;
    seen.add(current);
    for (const text of textOf(current)) check(`${where} (rendered)`, text);
    const keys: (string | symbol)[] = [...Object.getOwnPropertyNames(current), ...Object.getOwnPropertySymbols(current)];
    for (const key of ['message', 'stack', 'cause', 'name', 'request', 'options', 'response', 'url']) {
      if (!keys.includes(key)) keys.push(key);
    }
    for (const key of keys) {
      let child: unknown;
      try {
        child = (current as Record<string | symbol, unknown>)[key];
      } catch {
        continue;
      }
      check(`${where} key ${String(key)}`, String(key));
      walk(child, `${where}.${String(key)}`, depth + 1);
    }
  };
  walk(value, 'thrown', 0);
  return found;
}

/** Captures everything written to console and process.stdout/stderr until `stop()` is called. */
export function captureOutput(): { text: () => string; stop: () => void } {
  const chunks: string[] = [];
  const record = (...args: unknown[]): void => {
    for (const arg of args) chunks.push(typeof arg === 'string' ? arg : inspect(arg, { depth: Infinity, showHidden: true }));
  };
  const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir'] as const).map((method) => vi.spyOn(console, method).mockImplementation(record));
  const originalStdout = process.stdout.write.bind(process.stdout);
  const originalStderr = process.stderr.write.bind(process.stderr);
  const wrap =
    (original: typeof process.stdout.write) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    };
  process.stdout.write = wrap(originalStdout);
  process.stderr.write = wrap(originalStderr);
  const onWarning = (warning: Error): void => record(warning);
  process.on('warning', onWarning);
  return {
    text: () => chunks.join('\n'),
    stop: () => {
      for (const spy of spies) spy.mockRestore();
      process.stdout.write = originalStdout;
      process.stderr.write = originalStderr;
      process.off('warning', onWarning);
    },
  };
}
