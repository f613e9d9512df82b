import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/http/routes.ts';
import type { RouteName } from '../../shared/http/routes.ts';
import { startApiHarness } from '../support/api-harness.ts';
import type { ApiHarness } from '../support/api-harness.ts';

/**
 * Random bodies, ids, headers and encodings at every sequence handler: only 2xx/4xx answers, the
 * error shape on every 4xx, never a 5xx from bad input, never the key.
 */

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api?.close();
});

const sequenceRoutes: RouteName[] = ['listSequences', 'getSequence', 'createSequence', 'registerSequence', 'setCurrentSequence'];

const idArbitrary = fc.oneof(
  fc.string(),
  fc.integer().map(String),
  fc.constantFrom('146090', '0', '-1', '1e3', '0x10', '%20', '%31', '%', '%zz', '%E0%A4%A', '../1', '146090.json', ''),
);
const bodyArbitrary = fc.oneof(
  fc.constant(null),
  fc.string(),
  fc.json(),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc
    .record({ serie: fc.oneof(fc.string(), fc.integer(), fc.constant('F2027')), default: fc.anything() }, { requiredKeys: [] })
    .map((value) => JSON.stringify(value)),
);
const contentTypeArbitrary = fc.constantFrom(
  undefined,
  'application/json',
  'APPLICATION/JSON; charset=utf-8',
  'text/plain',
  'application/vnd.api+json',
  'multipart/form-data',
  '',
);

describe('fuzzing the handlers', () => {
  it('answers only 2xx/4xx with the contract shape, never the key', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...sequenceRoutes),
        idArbitrary,
        bodyArbitrary,
        contentTypeArbitrary,
        fc.boolean(),
        async (name, id, body, contentType, base64) => {
          api.sandbox.reset();
          const route = routes[name];
          const headers: Record<string, string> = contentType === undefined ? {} : { 'Content-Type': contentType };
          const answer = await api.invoke(name, {
            pathParameters: route.params ? { id } : null,
            body: body === null ? null : base64 ? Buffer.from(body).toString('base64') : body,
            isBase64Encoded: base64 && body !== null,
            headers,
          });
          expect(answer.status, answer.text).toBeGreaterThanOrEqual(200);
          expect(answer.status, answer.text).toBeLessThan(500);
          expect(answer.headers['x-request-id']).toMatch(/.+/);
          expect(answer.text).not.toContain(api.sandbox.apiKey);
          if (answer.status >= 400) {
            expect(Object.keys(answer.json)).toEqual(['error']);
            const error = answer.json['error'] as Record<string, unknown>;
            expect(typeof error['code']).toBe('string');
            expect(typeof error['message']).toBe('string');
            expect(error['requestId']).toBe(answer.headers['x-request-id']);
          }
        },
      ),
      { numRuns: 250 },
    );
    expect(api.logs.join('')).not.toContain(api.sandbox.apiKey);
  });
});
