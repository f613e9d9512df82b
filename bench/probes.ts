import { execFileSync } from 'node:child_process';
import { median } from './stats.ts';

/**
 * The first `Intl.DateTimeFormat` with a time zone in a fresh process (ICU loads its zone data),
 * as the rollover functions build one at cold start: median ms over `processes` fresh processes.
 */
export function probeTimeZoneFormatter(processes: number): number {
  const script =
    "const t = performance.now(); new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Lisbon', year: 'numeric' }); process.stdout.write(String(performance.now() - t));";
  const samples = Array.from({ length: processes }, () => Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: {} })));
  return median(samples);
}
