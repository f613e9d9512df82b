import { describe, expect, it } from 'vitest';
import { createIxSequencesClient } from '../../client/index.ts';
import { signingRegion } from '../../client/signing.ts';
import { useStackBehindProxy } from './capture-proxy.ts';
import { expectedAuthorization, parseAuthorization, sha256Hex } from './sigv4-check.ts';

/**
 * The signature API Gateway would check, on the requests as the gateway receives them (a capture
 * proxy in front of the local gateway, which itself accepts unsigned calls).
 */

const temporary = { accessKeyId: 'ASIACLIENTTEST', secretAccessKey: 'sign-test-secret', sessionToken: 'session-token-42' };
const longTerm = { accessKeyId: 'AKIACLIENTTEST', secretAccessKey: 'sign-test-secret-2' };
const local = useStackBehindProxy();

function onlyRequest() {
  expect(local.proxy.requests).toHaveLength(1);
  const request = local.proxy.requests[0];
  if (!request) throw new Error('no request reached the gateway');
  return request;
}

describe('SigV4 signature headers', () => {
  it('a POST with temporary credentials: Authorization, x-amz-date, session token, body hash; the signature verifies', async () => {
    const ix = createIxSequencesClient({ baseUrl: local.proxy.url, region: 'eu-central-1', credentials: temporary });
    const before = Date.now();
    await ix.runRollover({ phase: 'prepare', year: 2041, dryRun: true });
    const request = onlyRequest();
    const { headers } = request;

    const authorization = parseAuthorization(headers['authorization']);
    const amzDate = String(headers['x-amz-date']);
    expect(amzDate).toMatch(/^\d{8}T\d{6}Z$/);
    expect(authorization).toMatchObject({
      accessKeyId: temporary.accessKeyId,
      date: amzDate.slice(0, 8),
      region: 'eu-central-1',
      service: 'execute-api',
    });
    const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    expect(Math.abs(signedAt - before)).toBeLessThan(5_000);
    expect(headers['x-amz-security-token']).toBe(temporary.sessionToken);
    expect(headers['x-amz-content-sha256']).toBe(sha256Hex(request.body));
    expect(authorization?.signedHeaders).toEqual(['accept', 'content-type', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token']);

    expect(await expectedAuthorization(request, temporary.secretAccessKey)).toBe(headers['authorization']);
    // The check can fail: another body, or another key, gives another signature.
    expect(await expectedAuthorization({ ...request, body: request.body.replace('2041', '2042') }, temporary.secretAccessKey)).not.toBe(
      headers['authorization'],
    );
    expect(await expectedAuthorization(request, 'another-secret')).not.toBe(headers['authorization']);
  });

  it('a GET under a stage path with long-term credentials: no token header, the empty body hash', async () => {
    const ix = createIxSequencesClient({ baseUrl: `${local.proxy.url}/v1/`, region: 'eu-west-1', credentials: longTerm });
    // The local gateway has no stage prefix: its 404 still proves what was signed.
    await ix.getSequence({ id: 7 }).catch(() => undefined);
    const request = onlyRequest();
    expect(request.url).toBe('/v1/sequences/7');
    expect(request.headers['x-amz-security-token']).toBeUndefined();
    expect(request.headers['x-amz-content-sha256']).toBe(sha256Hex(''));
    expect(request.headers['accept']).toBe('application/json');
    expect(parseAuthorization(request.headers['authorization'])?.signedHeaders).toEqual(['accept', 'host', 'x-amz-content-sha256', 'x-amz-date']);
    expect(await expectedAuthorization(request, longTerm.secretAccessKey)).toBe(request.headers['authorization']);
  });

  it('without credentials it signs with the default chain (here: the environment)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'ASIAFROMENVIRONMENT', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-token' });
    try {
      await createIxSequencesClient({ baseUrl: local.proxy.url, region: 'eu-west-1' }).listSequences();
    } finally {
      process.env = saved;
    }
    const request = onlyRequest();
    expect(parseAuthorization(request.headers['authorization'])?.accessKeyId).toBe('ASIAFROMENVIRONMENT');
    expect(request.headers['x-amz-security-token']).toBe('env-token');
    expect(await expectedAuthorization(request, 'env-secret')).toBe(request.headers['authorization']);
  });
});

describe('signing region', () => {
  const url = (text: string) => new URL(text);
  it("is the option, else the execute-api URL's region, else AWS_REGION, else AWS_DEFAULT_REGION", () => {
    const api = url('https://a1b2c3d4e5.execute-api.eu-south-2.amazonaws.com/v1/');
    const custom = url('https://sequences.example.com/');
    expect(signingRegion(api, 'us-east-1', {})).toBe('us-east-1');
    expect(signingRegion(api, undefined, { AWS_REGION: 'eu-west-1' })).toBe('eu-south-2');
    expect(signingRegion(custom, undefined, { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-3' })).toBe('eu-west-1');
    expect(signingRegion(custom, undefined, { AWS_DEFAULT_REGION: 'eu-west-3' })).toBe('eu-west-3');
    expect(() => signingRegion(custom, undefined, {})).toThrow(/no region/);
  });
});
