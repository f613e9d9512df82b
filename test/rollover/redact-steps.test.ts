import { describe, expect, it } from 'vitest';
import { redact } from '../../shared/invoicexpress/redact.ts';
import type { InvoiceXpressClient } from '../../shared/invoicexpress/types.ts';
import { runRollover } from '../../shared/rollover/rollover.ts';
import { Deadline } from '../../shared/runtime/deadline.ts';

/** Issue 21 item 5: the text of an unexpected error is scrubbed before it goes into a run step. */
const KEY = 'k-step-redaction-3f9a1c77e2b04d5a8c6e1f20';

function clientThrowing(error: Error): InvoiceXpressClient {
  const fail = (): Promise<never> => Promise.reject(error);
  return { list: fail, get: fail, create: fail, register: fail, setCurrent: fail };
}

async function runWith(error: Error, scrub?: (text: string) => string) {
  return runRollover({
    client: clientThrowing(error),
    phase: 'prepare',
    year: 2027,
    dryRun: false,
    templates: ['{year}'],
    deadline: Deadline.in(10_000),
    now: () => new Date('2026-12-01T10:00:00Z'),
    redact: scrub,
  });
}

describe('unexpected errors in run steps', () => {
  it('carry neither the key nor a URL query', async () => {
    const error = new TypeError(`fetch failed: https://acme.app.invoicexpress.com/sequences.json?api_key=${KEY} (key ${KEY})`);
    const result = await runWith(error, (text) => redact(text, KEY));
    const seen = JSON.stringify(result);
    expect(result.outcome).toBe('failed');
    expect(seen).toContain('TypeError');
    expect(seen).not.toContain(KEY);
    expect(seen).not.toContain(KEY.slice(0, 12));
  });

  it('lose URL queries even without the key', async () => {
    const result = await runWith(new Error(`at https://acme.app.invoicexpress.com/sequences.json?api_key=${KEY}`));
    expect(JSON.stringify(result)).not.toContain(KEY);
  });
});
