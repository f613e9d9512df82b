import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { RolloverResult } from '../../shared/rollover/result.ts';
import { deliverWebhooks } from '../../shared/webhooks/deliver.ts';
import type { WebhookLogger } from '../../shared/webhooks/deliver.ts';
import { signBody, verifySignature } from '../../shared/webhooks/sign.ts';
import { startReceiver } from './receiver.ts';
import type { Receiver } from './receiver.ts';

const SECRET = 'whsec-test-secret-0123456789';
// The receivers are on loopback: a local run.
const FAST = { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 1_000, localRun: true };

function result(overrides: Partial<RolloverResult> = {}): RolloverResult {
  return {
    year: 2027,
    serie: '2027',
    phase: 'prepare',
    dryRun: false,
    outcome: 'ready',
    steps: [{ action: 'find', status: 'done', detail: 'séries lidas' }],
    sequence: null,
    startedAt: '2026-12-20T10:00:00.000Z',
    finishedAt: '2026-12-20T10:00:01.000Z',
    ...overrides,
  };
}

function recordingLogger(): WebhookLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn(message, attributes) {
      lines.push(`${message} ${JSON.stringify(attributes)}`);
    },
  };
}

const receivers: Receiver[] = [];
async function receiver(respond?: Receiver['respond']): Promise<Receiver> {
  const started = await startReceiver(respond);
  receivers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

describe('signBody', () => {
  it('is sha256=<hex HMAC-SHA256> of the raw body (known vector)', () => {
    // RFC 4231 test case 2.
    expect(signBody('what do ya want for nothing?', 'Jefe')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
  it('verifySignature accepts the right header only', () => {
    const body = '{"a":1}';
    expect(verifySignature(body, SECRET, signBody(body, SECRET))).toBe(true);
    expect(verifySignature(body, SECRET, signBody(body, 'other'))).toBe(false);
    expect(verifySignature(`${body} `, SECRET, signBody(body, SECRET))).toBe(false);
    expect(verifySignature(body, SECRET, undefined)).toBe(false);
  });
});

describe('deliverWebhooks (real HTTP receiver)', () => {
  it('POSTs the raw JSON with a signature the receiver can verify independently', async () => {
    const r = await receiver();
    const payload = result({ outcome: 'activated', phase: 'activate' });
    const report = await deliverWebhooks(payload, [{ url: `${r.url}/hooks/ix?token=abc`, secret: SECRET }], FAST);
    expect(report).toEqual({ delivered: 1, failed: 0 });
    expect(r.received).toHaveLength(1);
    const got = r.received[0];
    expect(got?.method).toBe('POST');
    expect(got?.url).toBe('/hooks/ix?token=abc');
    expect(got?.headers['content-type']).toBe('application/json');
    expect(got?.headers['x-ix-event']).toBe('rollover.activated');
    expect(got?.headers['x-ix-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    const expected = `sha256=${createHmac('sha256', SECRET).update(Buffer.from(got?.body ?? '', 'utf8')).digest('hex')}`;
    expect(got?.headers['x-ix-signature']).toBe(expected);
    expect(JSON.parse(got?.body ?? '')).toEqual(payload);
  });

  it('retries after 500s and 429, with the same delivery id: the run id', async () => {
    const r = await receiver((n) => (n === 1 ? 500 : n === 2 ? 429 : n === 3 ? 'drop' : 200));
    const runId = '2027-20261201T090000000Z-abc123';
    const report = await deliverWebhooks(result({ runId }), [{ url: r.url, secret: SECRET }], FAST);
    expect(report).toEqual({ delivered: 1, failed: 0 });
    expect(r.received).toHaveLength(4);
    expect(new Set(r.received.map((got) => got.headers['x-ix-delivery']))).toEqual(new Set([runId]));
    for (const got of r.received) expect(verifySignature(got.body, SECRET, got.headers['x-ix-signature'] as string)).toBe(true);
  });

  it('a receiver that keeps failing is counted and logged, never thrown; others still get it', async () => {
    const failing = await receiver(() => 503);
    const fine = await receiver();
    const logger = recordingLogger();
    const report = await deliverWebhooks(
      result({ outcome: 'failed' }),
      [
        { url: `${failing.url}/secret-path/T0KEN?sig=query-secret`, secret: SECRET },
        { url: fine.url, secret: 'second-secret' },
      ],
      { ...FAST, retries: 2, logger },
    );
    expect(report).toEqual({ delivered: 1, failed: 1 });
    expect(failing.received).toHaveLength(3);
    expect(fine.received[0]?.headers['x-ix-event']).toBe('rollover.failed');
    expect(logger.lines).toHaveLength(1);
    const line = logger.lines[0] ?? '';
    expect(line).toContain('answered 503');
    expect(line).toContain('"attempts":3');
    // Neither the secret nor the URL's path or query is logged.
    for (const needle of [SECRET, 'query-secret', 'T0KEN', 'secret-path']) expect(line).not.toContain(needle);
  });

  it('does not retry a 4xx other than 408/429, and does not follow redirects', async () => {
    const gone = await receiver(() => 410);
    const redirecting = await receiver(() => 302);
    const report = await deliverWebhooks(
      result(),
      [
        { url: gone.url, secret: SECRET },
        { url: redirecting.url, secret: SECRET },
      ],
      FAST,
    );
    expect(report).toEqual({ delivered: 0, failed: 2 });
    expect(gone.received).toHaveLength(1);
    expect(redirecting.received).toHaveLength(1);
  });

  it('times out a receiver that never answers, and survives a refused connection', async () => {
    const hanging = await receiver(() => 'hang');
    const closed = await receiver();
    const closedUrl = closed.url;
    await closed.close();
    receivers.splice(receivers.indexOf(closed), 1);
    const logger = recordingLogger();
    const report = await deliverWebhooks(
      result(),
      [
        { url: hanging.url, secret: SECRET },
        { url: closedUrl, secret: SECRET },
      ],
      { ...FAST, timeoutMs: 100, retries: 1, logger },
    );
    expect(report).toEqual({ delivered: 0, failed: 2 });
    expect(hanging.received).toHaveLength(2);
    expect(logger.lines.join('\n')).toContain('timeout');
    expect(logger.lines.join('\n')).toContain('ECONNREFUSED');
  });

  it('never throws, even for an unusable URL or a throwing fetch and logger', async () => {
    const throwingLogger: WebhookLogger = {
      warn() {
        throw new Error('logger down');
      },
    };
    const report = await deliverWebhooks(result(), [{ url: 'not a url', secret: SECRET }], {
      ...FAST,
      retries: 1,
      logger: throwingLogger,
      fetch: () => Promise.reject(new TypeError('boom')),
    });
    expect(report).toEqual({ delivered: 0, failed: 1 });
    expect(await deliverWebhooks(result(), [], FAST)).toEqual({ delivered: 0, failed: 0 });
  });
});
