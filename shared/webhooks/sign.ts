import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-ix-signature';
export const EVENT_HEADER = 'x-ix-event';
export const DELIVERY_HEADER = 'x-ix-delivery';

/** `sha256=<hex HMAC-SHA256 of the raw body>`: receivers recompute it over the exact bytes they got. */
export function signBody(rawBody: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** Receiver side (tests, example consumers): constant-time comparison of a signature header. */
export function verifySignature(rawBody: string | Uint8Array, secret: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signBody(rawBody, secret));
  const received = Buffer.from(header);
  return expected.length === received.length && timingSafeEqual(expected, received);
}
