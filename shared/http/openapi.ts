import * as z from '../zod.ts';
import { routeResponses } from './response-schemas.ts';
import type { RouteResponse } from './response-schemas.ts';
import { routes } from './routes.ts';
import type { RouteName } from './routes.ts';
import type { RouteSpec } from './route-spec.ts';

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the same zod schemas the handlers parse
 * with (routes.ts). docs/openapi.json is this document, committed; a test keeps them equal.
 */

const ErrorBodySchema = z.object({
  error: z.object({
    code: z
      .string()
      .check(
        z.describe(
          'invalid_request, not_found, serie_exists, invalid_state, rollover_in_progress, registration_in_progress, payload_too_large, unsupported_media_type, rejected, rate_limited, upstream_error, upstream_timeout, internal_error',
        ),
      ),
    message: z.string(),
    details: z.optional(
      z
        .array(z.object({ path: z.string(), message: z.string() }))
        .check(z.maxLength(20), z.describe('At most 20; when there were more, the last says how many ("and N more"). The whole error body is at most 8 KB')),
    ),
    runId: z.optional(z.string()).check(z.describe('rollover_in_progress: the run holding the lock')),
    requestId: z.string(),
  }),
});

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid_request: malformed JSON, wrong types, unknown fields or a bad path parameter (a malformed percent-escape included); details list the problems',
  404: 'not_found: no such sequence, or no such route',
  409: "serie_exists (create), invalid_state (set_current of a sequence not registered with AT; create with default: true whose serie AT did not register), rollover_in_progress (POST /rollover while another run holds the lock; runId names it), or registration_in_progress (register, or create with default: true, while another request registers the same sequence with AT and does not finish within this request's time)",
  413: "payload_too_large: a request body over 10 MB (API Gateway's limit; the function never sees it)",
  415: 'unsupported_media_type: a body that is not JSON',
  422: 'rejected: InvoiceXpress refused (e.g. AT registration failed); its messages in details',
  429: "rate_limited: the account's InvoiceXpress request budget is spent for API callers (nothing was sent), or InvoiceXpress's rate limit; retry after Retry-After seconds",
  500: 'internal_error: an unexpected fault in the service',
  502: 'upstream_error: InvoiceXpress answered 5xx, an unexpected shape, or refused the service credentials',
  504: 'upstream_timeout: InvoiceXpress did not answer in time',
};
const COMMON_ERRORS = [400, 413, 415, 500, 502, 504];

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.core.$ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete json['$schema']; // the document declares its dialect once (OpenAPI 3.1 = JSON Schema 2020-12)
  return json;
}

function jsonContent(schema: JsonSchema): JsonSchema {
  return { 'application/json': { schema } };
}

function operationOf(route: RouteSpec, response: RouteResponse): JsonSchema {
  const parameters = [...(route.params ? pathParameters(route.params) : []), ...(route.query ? queryParameters(route.query) : [])];
  const errorStatuses = [...new Set([...COMMON_ERRORS, ...response.errors])].sort((a, b) => a - b);
  const errorBody = schemaOf(ErrorBodySchema, 'output');
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: route.method === 'POST', content: jsonContent(schemaOf(route.body, 'input')) } } : {}),
    responses: {
      [String(route.successStatus)]: {
        description: response.description,
        headers: { 'x-request-id': { schema: { type: 'string' } } },
        content: jsonContent(schemaOf(response.schema, 'output')),
      },
      ...Object.fromEntries(
        errorStatuses.map((status) => [
          String(status),
          {
            description: ERROR_DESCRIPTIONS[status] ?? 'Error',
            headers: {
              'x-request-id': { schema: { type: 'string' } },
              ...(status === 429 ? { 'retry-after': { schema: { type: 'string' } } } : {}),
            },
            content: jsonContent(errorBody),
          },
        ]),
      ),
    },
    security: [{ awsIam: [] }],
  };
}

function pathParameters(schema: z.core.$ZodType): JsonSchema[] {
  const json = schemaOf(schema, 'input');
  const properties = (json['properties'] ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'path',
    required: true,
    description: property['description'],
    schema: { type: 'string', pattern: property['pattern'] },
  }));
}

function queryParameters(schema: z.core.$ZodType): JsonSchema[] {
  const json = schemaOf(schema, 'input');
  const properties = (json['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: 'query', required: required.has(name), description, schema: rest };
  });
}

export function buildOpenApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const [name, route] of Object.entries(routes) as [RouteName, RouteSpec][]) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operationOf(route, routeResponses[name]);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ix-sequences',
      version: '1.2.0',
      description:
        'InvoiceXpress document sequences (séries) and the yearly ATCUD rollover. In AWS every route requires ' +
        'IAM (SigV4) authorization; locally `npm start` serves it on loopback without auth.',
    },
    components: {
      securitySchemes: {
        awsIam: { type: 'apiKey', name: 'Authorization', in: 'header', description: 'AWS SigV4 (API Gateway AWS_IAM)' },
      },
    },
    paths,
  };
}

/** The committed text: stable key order, two-space indent, trailing newline. */
export function openApiText(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}
