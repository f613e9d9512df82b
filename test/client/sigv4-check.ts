import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CapturedRequest } from './capture-proxy.ts';

/**
 * What API Gateway checks in a SigV4-signed request, from the request as it arrived: the
 * Authorization header's shape, and the signature recomputed with the SDK's own signer from the
 * headers it names, the body and the secret key.
 */

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

export interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export function parseAuthorization(value: string | undefined): ParsedAuthorization | undefined {
  const match = AUTHORIZATION.exec(value ?? '');
  if (!match) return undefined;
  const [, accessKeyId = '', date = '', region = '', service = '', signedHeaders = '', signature = ''] = match;
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** `20261124T101112Z` → the Date it names. */
function amzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) throw new Error(`not an x-amz-date: ${value}`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/**
 * The Authorization header the SDK's signer computes for `request` with this secret key. The signer
 * takes a body-hash header on trust, so a hash that does not match the body is reported instead.
 */
export async function expectedAuthorization(request: CapturedRequest, secretAccessKey: string): Promise<string> {
  const parsed = parseAuthorization(request.headers['authorization']);
  if (!parsed) throw new Error('no well-formed Authorization header');
  const url = new URL(request.url, 'http://placeholder.invalid');
  const headers: Record<string, string> = {};
  for (const name of parsed.signedHeaders) headers[name] = String(request.headers[name] ?? '');
  const bodyHash = request.headers['x-amz-content-sha256'];
  if (bodyHash !== undefined && bodyHash !== sha256Hex(request.body)) return 'x-amz-content-sha256 does not match the body';
  const signer = new SignatureV4({
    service: parsed.service,
    region: parsed.region,
    credentials: {
      accessKeyId: parsed.accessKeyId,
      secretAccessKey,
      ...(headers['x-amz-security-token'] === undefined ? {} : { sessionToken: headers['x-amz-security-token'] }),
    },
    sha256: Hash.bind(null, 'sha256'),
    // Only the headers the request signed: no body-hash header added when it sent none.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      hostname: 'placeholder.invalid', // the Host header (signed) is what counts
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: request.body === '' ? undefined : request.body,
    }),
    { signingDate: amzDate(headers['x-amz-date'] ?? '') },
  );
  return String(signed.headers['authorization']);
}
