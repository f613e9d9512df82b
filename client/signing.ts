import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** What the signer accepts: fixed credentials or a provider (refreshed by the provider itself). */
export type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/** The SigV4 signing name of API Gateway's invoke endpoint. */
const SIGNING_SERVICE = 'execute-api';

/** `<api-id>.execute-api.<region>.amazonaws.com[.cn]`: the region is in the host. */
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/**
 * The signing region: the option, else the one in an execute-api URL (the API's own region, which
 * may differ from the caller's), else AWS_REGION / AWS_DEFAULT_REGION (a custom domain name).
 */
export function signingRegion(baseUrl: URL, option: string | undefined, env = process.env): string {
  const region = option ?? EXECUTE_API_HOST.exec(baseUrl.hostname)?.[1] ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  if (region === undefined || region === '') {
    throw new TypeError('ix-sequences client: no region (pass `region`, or set AWS_REGION)');
  }
  return region;
}

export function createSigner(region: string, credentials: Credentials | undefined): SignatureV4 {
  return new SignatureV4({
    service: SIGNING_SERVICE,
    region,
    // The SDK's default chain: environment, SSO and profiles, web identity, ECS and EC2 roles.
    credentials: credentials ?? fromNodeProviderChain(),
    sha256: Hash.bind(null, 'sha256'),
  });
}

/**
 * A fetch that signs each request just before sending it, so every attempt (ky's retries included)
 * carries a fresh x-amz-date. The signed headers are exactly those sent: host, x-amz-date,
 * x-amz-content-sha256 (the body's hash), x-amz-security-token (temporary credentials) and the
 * request's own (content-type).
 */
export function signingFetch(signer: SignatureV4, send: typeof fetch = fetch) {
  return async (input: Request | URL | string, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const body = request.body === null ? undefined : await request.text();
    const headers: Record<string, string> = { host: url.host };
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port === '' ? undefined : Number(url.port),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        body,
      }),
    );
    // fetch derives Host from the URL (the same value that was signed) and refuses to be told it.
    const sent = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name !== 'host'));
    return send(url, { ...init, method: request.method, headers: sent, body, signal: request.signal });
  };
}
