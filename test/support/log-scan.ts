import { afterAll, expect } from 'vitest';
import { sandboxApiKeys } from '../../sandbox/server.ts';

/**
 * Set up for every test file (vitest setupFiles): everything written to stdout/stderr in the test
 * process — the functions' JSON logs included — is kept, and when the file ends it must contain no
 * API key of any sandbox the file started, and no `api_key=` query string. So every failure path
 * the whole suite drives is also a log-scan test.
 */

const written: string[] = [];
let quiet = false;

function tee(original: typeof process.stdout.write): typeof process.stdout.write {
  return (chunk: string | Uint8Array, ...rest: unknown[]) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    if (quiet) {
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  };
}

process.stdout.write = tee(process.stdout.write.bind(process.stdout));
process.stderr.write = tee(process.stderr.write.bind(process.stderr));

/** Keep recording but stop printing (handler tests keep their logs to assert on them). */
export function silenceOutput(): { lines: () => string[]; restore: () => void } {
  const from = written.length;
  quiet = true;
  return {
    lines: () => written.slice(from),
    restore: () => {
      quiet = false;
    },
  };
}

afterAll(() => {
  const text = written.join('');
  for (const key of sandboxApiKeys()) expect(text.includes(key), 'an API key reached stdout/stderr').toBe(false);
  expect(text).not.toContain('api_key=');
});

/** The rollover's log lines (one JSON object each) among what was written. */
export function rolloverLogLines(written: readonly string[]): string[] {
  return written
    .join('')
    .split('\n')
    .filter((line) => line.includes('"rollover"'));
}
