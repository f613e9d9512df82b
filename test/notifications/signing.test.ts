import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { eventBody } from '../../shared/notifications/model.ts';
import { nextWaitSeconds, PRODUCTION_RETRY_WAITS, retryWaits } from '../../shared/notifications/schedule.ts';
import { signatureHeaders } from '../../shared/notifications/signing.ts';
import { OLD_SECRET, SECRET, testEndpoint, testEvent } from './support.ts';

/** Every signature is checked by the Standard Webhooks reference implementation (standardwebhooks). */

const event = testEvent();
const body = eventBody(event);

describe('Standard Webhooks signing', () => {
  it('signs id.timestamp.body with the endpoint secret: the reference verifier accepts it now', () => {
    const headers = signatureHeaders(testEndpoint({ url: 'https://h.example' }), event.id, body, new Date());
    expect(headers['webhook-id']).toBe(event.id);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(OLD_SECRET).verify(body, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(SECRET).verify(`${body} `, headers)).toThrow(WebhookVerificationError);
  });

  it('a delivery signed more than 5 minutes ago is refused by the reference verifier (replay)', () => {
    const headers = signatureHeaders(testEndpoint({ url: 'https://h.example' }), event.id, body, new Date(Date.now() - 5 * 60_000 - 2_000));
    expect(() => new Webhook(SECRET).verify(body, headers)).toThrow(/too old/i);
    const fresh = signatureHeaders(testEndpoint({ url: 'https://h.example' }), event.id, body, new Date(Date.now() - 4 * 60_000));
    expect(() => new Webhook(SECRET).verify(body, fresh)).not.toThrow();
  });

  it('during a rotation carries two signatures, each verifying with its own secret; after the end date only the new one', () => {
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const endpoint = testEndpoint({ url: 'https://h.example', previousSecret: OLD_SECRET, previousSecretUntil: until });
    const now = new Date();
    const headers = signatureHeaders(endpoint, event.id, body, now);
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(() => new Webhook(SECRET).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(OLD_SECRET).verify(body, headers)).not.toThrow();
    const after = signatureHeaders(endpoint, event.id, body, new Date(Date.parse(until) + 1));
    expect(after['webhook-signature']?.split(' ')).toHaveLength(1);
  });

  it('every attempt signs afresh: a new timestamp, a new signature, the same webhook-id', () => {
    const endpoint = testEndpoint({ url: 'https://h.example' });
    const first = signatureHeaders(endpoint, event.id, body, new Date(Date.now() - 10_000));
    const second = signatureHeaders(endpoint, event.id, body, new Date());
    expect(second['webhook-id']).toBe(first['webhook-id']);
    expect(second['webhook-timestamp']).not.toBe(first['webhook-timestamp']);
    expect(second['webhook-signature']).not.toBe(first['webhook-signature']);
  });
});

describe('the retry schedule', () => {
  it('is at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then every 12 h within 4 days', () => {
    expect(PRODUCTION_RETRY_WAITS.slice(0, 6)).toEqual([5, 300, 1800, 7200, 18000, 36000]);
    expect(PRODUCTION_RETRY_WAITS.slice(6).every((wait) => wait === 43_200)).toBe(true);
    const total = PRODUCTION_RETRY_WAITS.reduce((sum, wait) => sum + wait, 0);
    expect(total).toBeLessThanOrEqual(4 * 86_400);
    expect(total + 43_200).toBeGreaterThan(4 * 86_400);
    expect(PRODUCTION_RETRY_WAITS).toHaveLength(12);
  });

  it('jitters each wait within ±10 % and ends after the last wait', () => {
    expect(nextWaitSeconds([100, 200], 1, () => 0)).toBe(90);
    expect(nextWaitSeconds([100, 200], 2, () => 0.999_999)).toBe(220);
    expect(nextWaitSeconds([100, 200], 3, () => 0.5)).toBeUndefined();
  });

  it('WEBHOOK_RETRY_SCHEDULE replaces it; a malformed one is refused', () => {
    expect(retryWaits('1, 2,3')).toEqual([1, 2, 3]);
    expect(retryWaits(undefined)).toBe(PRODUCTION_RETRY_WAITS);
    expect(retryWaits('')).toBe(PRODUCTION_RETRY_WAITS);
    expect(() => retryWaits('1,,2')).toThrow();
    expect(() => retryWaits('1.5')).toThrow();
    expect(() => retryWaits('999999')).toThrow();
  });
});
