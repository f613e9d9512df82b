import { parseArgs } from 'node:util';
import { DOCUMENT_TYPES } from '../sandbox/seed.ts';
import { redact } from '../shared/invoicexpress/redact.ts';
import { normalizeSequence } from '../shared/invoicexpress/wire.ts';
import { ConfigurationError, parseEnv } from '../shared/runtime/env.ts';
import { parseServiceSecret, SecretError } from '../shared/runtime/secret.ts';
import * as z from '../shared/zod.ts';

/**
 * `npm run probe -- [--json] [--secret-id <id>]`: a read-only look at a real InvoiceXpress account
 * that turns the API's unknowns (docs/invoicexpress.md) into facts for that account. It only ever
 * sends GET: its one HTTP function has no method parameter. It never prints the key.
 * Exit codes: 0 probed, 2 bad usage, 1 the account could not be reached or read.
 */

const USAGE = `Usage: npm run probe -- [--json] [--secret-id <id>]

Reads (GET only) a few answers of an InvoiceXpress account and reports which of the API's unknowns
hold for it (docs/invoicexpress.md). Nothing is ever written to the account.

  --secret-id <id>   read accountName and apiKey from this AWS Secrets Manager secret (the
                     service's own secret; AWS_ENDPOINT_URL_SECRETS_MANAGER is honoured)
  --json             print the report as JSON
  --help             this text

Environment (when --secret-id is not given):
  IX_ACCOUNT_NAME, IX_API_KEY   the account and its API key
  IX_BASE_URL                   another base URL, e.g. a running sandbox (then IX_ACCOUNT_NAME is optional)`;

const REQUEST_TIMEOUT_MS = 10_000;

/** A bad command line or environment: exit 2. */
class UsageError extends Error {}
/** The account could not be reached or read: exit 1. */
class ProbeFailure extends Error {}

// ---------------------------------------------------------------------------------------------
// The only HTTP the probe does

export interface ProbeResponse {
  /** Path and query as sent, without the key. */
  path: string;
  status: number;
  headers: Headers;
  text: string;
}

/** GET `path` (with optional query) on the account. There is no way to send another method. */
export type ProbeGet = (path: string, query?: Record<string, string>) => Promise<ProbeResponse>;

function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${String(REQUEST_TIMEOUT_MS / 1000)} s`;
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return (cause as NodeJS.ErrnoException).code ?? (cause instanceof Error ? cause.message : String(cause));
}

export function httpGet(baseUrl: string, apiKey: string): ProbeGet {
  return async (path, query = {}) => {
    const url = new URL(`${baseUrl}${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    url.searchParams.set('api_key', apiKey);
    let response: Response;
    try {
      // No method given: fetch sends GET. A redirect would carry the key elsewhere: not followed.
      response = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new ProbeFailure(`could not reach ${baseUrl} (GET ${path}): ${networkReason(error)}`);
    }
    const search = new URLSearchParams(query).toString();
    const shown = search === '' ? path : `${path}?${search}`;
    return { path: shown, status: response.status, headers: response.headers, text: await response.text() };
  };
}

// ---------------------------------------------------------------------------------------------
// What the probe reads

/** The answers the report is made from. */
export interface Observations {
  list: ProbeResponse;
  /** GET of the first listed sequence (absent when the list is empty). */
  get?: ProbeResponse | undefined;
  /** ?page=1&per_page=1 and ?page=2&per_page=1 (absent when the list is empty). */
  pages?: [ProbeResponse, ProbeResponse] | undefined;
  /** GET of an id that cannot exist. */
  notFound: ProbeResponse;
}

type Item = Record<string, unknown>;

const isRecord = (value: unknown): value is Item => typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The list's sequences, in every envelope the service accepts (wire.ts); undefined when none. */
function listItems(body: unknown): Item[] | undefined {
  const items = Array.isArray(body) ? body : isRecord(body) ? (body['sequences'] ?? body['sequence']) : undefined;
  if (isRecord(items)) return [items];
  return Array.isArray(items) ? items.filter(isRecord) : undefined;
}

/** The list must be readable, or there is nothing to report: a ProbeFailure names why. */
function readList(list: ProbeResponse): { body: unknown; items: Item[] } {
  if (list.status === 401) throw new ProbeFailure('InvoiceXpress refused the key (401): check the account name and the API key');
  if (list.status < 200 || list.status > 299) throw new ProbeFailure(`GET /sequences.json answered ${String(list.status)}`);
  const body = parseJson(list.text);
  const items = listItems(body);
  if (!items) throw new ProbeFailure('GET /sequences.json did not answer a JSON list of sequences');
  return { body, items };
}

/** Reads everything it needs, GET by GET (about five requests). */
export async function observe(get: ProbeGet): Promise<Observations> {
  const list = await get('/sequences.json');
  const { items } = readList(list);
  const first = items.find((item) => /^\d+$/.test(String(item['id'])));
  const id = first === undefined ? undefined : String(first['id']);
  return {
    list,
    get: id === undefined ? undefined : await get(`/sequences/${id}.json`),
    pages:
      items.length === 0
        ? undefined
        : [await get('/sequences.json', { page: '1', per_page: '1' }), await get('/sequences.json', { page: '2', per_page: '1' })],
    notFound: await get('/sequences/0.json'),
  };
}

// ---------------------------------------------------------------------------------------------
// What it means: one finding per unknown (ids as in docs/invoicexpress.md)

export interface Finding {
  /** The unknown, as a question. */
  question: string;
  /** The answer for this account; null when the probe could not tell. */
  value: string | boolean | string[] | null;
  /** What was seen, in words. */
  detail: string;
}

export const FINDING_IDS = [
  'singleKey',
  'listCurrentFields',
  'getCurrentFields',
  'paginationObject',
  'pageParameters',
  'numbersAsStrings',
  'defaultSequence',
  'serieType',
  'rateLimitHeaders',
  'documentTypes',
  'incompleteTypes',
  'notFoundBody',
  'wrongKeyBody',
  'writeAnswers',
  'createMakesDefault',
] as const;
export type FindingId = (typeof FINDING_IDS)[number];

export interface ProbeReport {
  /** The base URL probed (never the key). */
  target: string;
  /** Every request sent: all GET. */
  requests: { method: 'GET'; path: string; status: number }[];
  /** Sequences in the plain list's answer. */
  sequencesListed: number;
  /** The account's sequences: `pagination.total_entries` when the list says so, else the count listed. */
  sequencesInAccount: number;
  findings: Record<FindingId, Finding>;
}

const CURRENT_FIELD = /^current_(.+)_(number|sequence_id|validation_code)$/;

const currentKeys = (item: Item): string[] => Object.keys(item).filter((key) => CURRENT_FIELD.test(key));

/** The single sequence inside a get answer, and the key it came under. */
function singleOf(body: unknown): { key: 'sequence' | 'sequences' | 'bare' | 'other'; sequence?: Item } {
  if (!isRecord(body)) return { key: 'other' };
  for (const key of ['sequence', 'sequences'] as const) {
    const inner = body[key];
    if (isRecord(inner)) return { key, sequence: inner };
    if (Array.isArray(inner) && inner.length === 1 && isRecord(inner[0])) return { key, sequence: inner[0] };
  }
  return 'id' in body ? { key: 'bare', sequence: body } : { key: 'other' };
}

function findSingleKey(get: ProbeResponse | undefined): Finding {
  const question = 'Under which key does GET /sequences/{id}.json put the sequence?';
  if (!get) return { question, value: null, detail: 'not checked: the account has no sequences to get' };
  if (get.status !== 200) return { question, value: null, detail: `not checked: GET ${get.path} answered ${String(get.status)}` };
  const { key } = singleOf(parseJson(get.text));
  const value = key === 'other' ? null : key;
  const words = { sequence: '"sequence"', sequences: '"sequences" (as the docs show)', bare: 'no key: the bare object', other: 'none we know' };
  return { question, value, detail: `${words[key]}, in GET ${get.path}` };
}

function findListCurrentFields(items: Item[]): Finding {
  const question = 'Does the list carry the current_* document fields?';
  if (items.length === 0) return { question, value: null, detail: 'not checked: the list is empty' };
  const carrying = items.filter((item) => currentKeys(item).length > 0).length;
  const value = carrying === items.length ? 'all' : carrying === 0 ? 'none' : 'some';
  return { question, value, detail: `${String(carrying)} of ${String(items.length)} listed sequences carry them` };
}

function findGetCurrentFields(get: ProbeResponse | undefined): Finding {
  const question = 'Does GET /sequences/{id}.json carry the current_* document fields?';
  const sequence = get?.status === 200 ? singleOf(parseJson(get.text)).sequence : undefined;
  if (!get || !sequence) return { question, value: null, detail: 'not checked: no sequence was read with GET' };
  const count = currentKeys(sequence).length;
  return { question, value: count > 0, detail: count > 0 ? `${String(count)} current_* fields` : 'none at all' };
}

/** `pagination.total_entries`, when the list carries it as a whole number. */
function totalEntries(body: unknown): number | undefined {
  const pagination = isRecord(body) ? body['pagination'] : undefined;
  const total = isRecord(pagination) ? Number(pagination['total_entries']) : Number.NaN;
  return Number.isInteger(total) && total >= 0 ? total : undefined;
}

function findPaginationObject(body: unknown, items: Item[]): Finding {
  const question = 'Does the list answer carry a `pagination` object?';
  const pagination = isRecord(body) ? body['pagination'] : undefined;
  if (!isRecord(pagination)) return { question, value: false, detail: `no; ${String(items.length)} sequences in one answer` };
  const totalPages = Number(pagination['total_pages']);
  const warning = totalPages > 1 ? ' — the plain list is NOT the whole account' : '';
  return { question, value: true, detail: `yes: ${JSON.stringify(pagination)}${warning}` };
}

function findPageParameters(total: number, pages: Observations['pages']): Finding {
  const question = 'Does ?page=2&per_page=N page the list?';
  if (!pages) return { question, value: null, detail: 'not checked: the list is empty' };
  const failed = pages.find((page) => page.status !== 200);
  if (failed) return { question, value: null, detail: `not checked: ${failed.path} answered ${String(failed.status)}` };
  const [first, second] = pages.map((page) => (listItems(parseJson(page.text)) ?? []).map((item) => String(item['id'])));
  if (!first || !second) return { question, value: null, detail: 'not checked' };
  const counts = `per_page=1: page 1 had ${String(first.length)}, page 2 had ${String(second.length)}, of ${String(total)} in the account`;
  const honoured = first.length === 1 && (total >= 2 ? second.length === 1 && second[0] !== first[0] : second.length === 0);
  const ignored = first.length === total && second.length === total && (total >= 2 || second[0] === first[0]);
  return { question, value: honoured ? 'honoured' : ignored ? 'ignored' : 'unclear', detail: counts };
}

/** The kinds of value (number, string, …) found under the keys `select` picks, across sequences. */
function kindsOf(sequences: Item[], select: (key: string) => boolean): Set<string> {
  const kinds = new Set<string>();
  for (const sequence of sequences) {
    for (const [key, value] of Object.entries(sequence)) if (select(key)) kinds.add(value === null ? 'null' : typeof value);
  }
  return kinds;
}

function kindFinding(question: string, kinds: Set<string>, what: string): Finding {
  if (kinds.size === 0) return { question, value: null, detail: `not checked: no ${what} seen` };
  const value = kinds.size === 1 ? ([...kinds][0] ?? null) : 'mixed';
  return { question, value, detail: `${what}: ${[...kinds].sort().join(' and ')}` };
}

const NUMERIC_FIELD = /^(id|current_.+_(number|sequence_id))$/;

function findNumbersAsStrings(sequences: Item[]): Finding {
  const kinds = kindsOf(sequences, (key) => NUMERIC_FIELD.test(key));
  const finding = kindFinding('Do ids and document numbers come as numbers or as strings?', kinds, 'id, current_*_number, current_*_sequence_id');
  const words: Record<string, string> = { number: 'numbers', string: 'strings' };
  return { ...finding, value: typeof finding.value === 'string' ? (words[finding.value] ?? finding.value) : finding.value };
}

const findDefaultSequence = (sequences: Item[]): Finding =>
  kindFinding('Does default_sequence come as 1/0, "1"/"0" or true/false?', kindsOf(sequences, (key) => key === 'default_sequence'), 'default_sequence');

const findSerieType = (sequences: Item[]): Finding =>
  kindFinding('Does serie come as a string or a number?', kindsOf(sequences, (key) => key === 'serie'), 'serie');

const RATE_LIMIT_HEADER = /^(retry-after|x-ratelimit-.+|ratelimit(-.+)?)$/i;

function findRateLimitHeaders(responses: ProbeResponse[]): Finding {
  const seen = new Map<string, string>();
  for (const response of responses) {
    response.headers.forEach((value, name) => {
      if (RATE_LIMIT_HEADER.test(name)) seen.set(name.toLowerCase(), value);
    });
  }
  const question = 'Which rate-limit headers (Retry-After, X-RateLimit-*, RateLimit-*) appear?';
  const detail = seen.size === 0 ? `none in ${String(responses.length)} answers` : [...seen].map(([name, value]) => `${name}: ${value}`).join(', ');
  return { question, value: [...seen.keys()].sort(), detail };
}

function findDocumentTypes(sequences: Item[]): Finding {
  const question = 'Which document types appear beyond the documented fifteen?';
  const types = new Set(sequences.flatMap((sequence) => currentKeys(sequence).map((key) => CURRENT_FIELD.exec(key)?.[1] ?? '')));
  if (types.size === 0) return { question, value: null, detail: 'not checked: no current_* fields seen' };
  const documented = new Set<string>(DOCUMENT_TYPES);
  const extra = [...types].filter((type) => !documented.has(type)).sort();
  const missing = DOCUMENT_TYPES.filter((type) => !types.has(type));
  const detail = `${extra.length === 0 ? 'none beyond the list' : `beyond the list: ${extra.join(', ')}`}` +
    (missing.length === 0 ? '' : `; documented but not seen: ${missing.join(', ')}`);
  return { question, value: extra, detail };
}

/** Read by the service's own parser (shared/invoicexpress/wire.ts), so the two cannot disagree. */
function findIncompleteTypes(sequences: Item[]): Finding {
  const question = 'Which document types come without some of their fields (the service shows them as unknown, never registered)?';
  if (!sequences.some((sequence) => currentKeys(sequence).length > 0)) return { question, value: null, detail: 'not checked: no current_* fields seen' };
  const types = new Set<string>();
  const unreadable: string[] = [];
  for (const item of sequences) {
    try {
      const sequence = normalizeSequence(item, { operation: 'list' });
      for (const [type, document] of Object.entries(sequence.documents)) if (document.atcud === 'unknown') types.add(type);
    } catch (error) {
      unreadable.push(error instanceof Error ? error.message.replace(/^.*the body is not usable: /, '') : String(error));
    }
  }
  const incomplete = types.size === 0 ? 'every type complete' : `incomplete: ${[...types].sort().join(', ')}`;
  const read = unreadable.length === 0
    ? 'the service reads every answer'
    : `the service cannot read ${String(unreadable.length)} (so refuses the whole list): ${unreadable.slice(0, 3).join('; ')}`;
  return { question, value: [...types].sort(), detail: `${incomplete}; ${read}` };
}

function findNotFoundBody(response: ProbeResponse): Finding {
  const question = 'What does a 404 (an id that cannot exist) look like?';
  const text = response.text;
  const kind = text === '' ? 'empty' : text.trim() === '' ? 'blank' : parseJson(text) !== undefined ? 'json' : text.trim().startsWith('<') ? 'html' : 'text';
  const type = response.headers.get('content-type') ?? 'no content-type';
  const sample = kind === 'json' || kind === 'text' ? `: ${text.trim().slice(0, 160)}` : '';
  return { question, value: kind, detail: `GET ${response.path} answered ${String(response.status)}, ${type}, ${kind} body${sample}` };
}

const NOT_PROBED: Record<'wrongKeyBody' | 'writeAnswers' | 'createMakesDefault', Finding> = {
  wrongKeyBody: {
    question: 'What is the error body for a wrong key?',
    value: null,
    detail: 'not probed: it needs a second, wrong key, and the probe uses only the key it is given',
  },
  writeAnswers: {
    question: 'What do create, register and set_current answer (keys, bodies, refusals)?',
    value: null,
    detail: 'not probed: the probe never writes to the account',
  },
  createMakesDefault: {
    question: 'Does a create through the API make the new serie the default (as the web app does), whatever default_sequence says?',
    value: null,
    detail:
      'not probed: it needs a create; the service reads every new serie back and, when it became the default, puts the previous default back (rollover step set_current, POST /sequences restoredDefault)',
  },
};

/** The report, from the answers alone (no I/O). */
export function analyse(target: string, observed: Observations): ProbeReport {
  const { body, items } = readList(observed.list);
  const total = totalEntries(body) ?? items.length;
  const single = observed.get?.status === 200 ? singleOf(parseJson(observed.get.text)).sequence : undefined;
  const sequences = single ? [...items, single] : items;
  const responses = [observed.list, ...(observed.get ? [observed.get] : []), ...(observed.pages ?? []), observed.notFound];
  return {
    target,
    requests: responses.map((response) => ({ method: 'GET', path: response.path, status: response.status })),
    sequencesListed: items.length,
    sequencesInAccount: total,
    findings: {
      singleKey: findSingleKey(observed.get),
      listCurrentFields: findListCurrentFields(items),
      getCurrentFields: findGetCurrentFields(observed.get),
      paginationObject: findPaginationObject(body, items),
      pageParameters: findPageParameters(total, observed.pages),
      numbersAsStrings: findNumbersAsStrings(sequences),
      defaultSequence: findDefaultSequence(sequences),
      serieType: findSerieType(sequences),
      rateLimitHeaders: findRateLimitHeaders(responses),
      documentTypes: findDocumentTypes(sequences),
      incompleteTypes: findIncompleteTypes(sequences),
      notFoundBody: findNotFoundBody(observed.notFound),
      ...NOT_PROBED,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Output

const LABELS: Record<FindingId, string> = {
  singleKey: 'single-sequence key',
  listCurrentFields: 'current_* fields in list',
  getCurrentFields: 'current_* fields in get',
  paginationObject: 'pagination object',
  pageParameters: '?page=&per_page=',
  numbersAsStrings: 'numbers',
  defaultSequence: 'default_sequence',
  serieType: 'serie',
  rateLimitHeaders: 'rate-limit headers',
  documentTypes: 'document types',
  incompleteTypes: 'incomplete types',
  notFoundBody: '404 body',
  wrongKeyBody: 'wrong-key error body',
  writeAnswers: 'write answers',
  createMakesDefault: 'create makes default',
};

function shownValue(value: Finding['value']): string {
  if (value === null) return '?';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(', ');
  return String(value);
}

export function formatReport(report: ProbeReport): string {
  const width = Math.max(...Object.values(LABELS).map((label) => label.length));
  const lines = FINDING_IDS.map((id) => {
    const finding = report.findings[id];
    return `  ${LABELS[id].padEnd(width)}  ${shownValue(finding.value).padEnd(10)}  ${finding.detail}`;
  });
  return [
    `InvoiceXpress probe of ${report.target}: ${String(report.requests.length)} GET requests, nothing written; ` +
      `${String(report.sequencesListed)} of ${String(report.sequencesInAccount)} sequences in the list's answer`,
    ...lines,
    "'?' means the probe could not tell. What each line means and what the service assumes: docs/invoicexpress.md",
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Command line

interface Target {
  baseUrl: string;
  apiKey: string;
}

const ProbeEnvSchema = z.object({
  IX_ACCOUNT_NAME: z.optional(z.string().check(z.trim(), z.regex(/^[A-Za-z0-9-]*$/, 'expected an account name (letters, digits, -)'))),
  IX_API_KEY: z.optional(z.string().check(z.trim())),
  IX_BASE_URL: z.optional(z.url({ protocol: /^https?$/ }).check(z.refine((url) => !/[?#]/.test(url), 'must not carry a query or fragment'))),
});

function baseUrlOf(accountName: string | undefined, override: string | undefined): string {
  if (override) return override.replace(/\/+$/, '');
  if (!accountName) throw new UsageError('IX_ACCOUNT_NAME is required (or IX_BASE_URL for a sandbox)');
  return `https://${accountName}.app.invoicexpress.com`;
}

async function resolveTarget(secretId: string | undefined): Promise<Target> {
  let env: z.infer<typeof ProbeEnvSchema>;
  try {
    env = parseEnv(ProbeEnvSchema, process.env);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new UsageError(error.message);
    throw error;
  }
  if (secretId === undefined) {
    if (!env.IX_API_KEY) throw new UsageError('set IX_ACCOUNT_NAME and IX_API_KEY (or use --secret-id)');
    return { baseUrl: baseUrlOf(env.IX_ACCOUNT_NAME, env.IX_BASE_URL), apiKey: env.IX_API_KEY };
  }
  if (env.IX_API_KEY || env.IX_ACCOUNT_NAME) throw new UsageError('use either --secret-id or IX_ACCOUNT_NAME/IX_API_KEY, not both');
  const secret = await readSecret(secretId);
  return { baseUrl: baseUrlOf(secret.accountName, env.IX_BASE_URL), apiKey: secret.apiKey };
}

/** The service's own secret, read as the service reads it (the SDK honours AWS_ENDPOINT_URL_SECRETS_MANAGER). */
async function readSecret(secretId: string): Promise<{ accountName: string; apiKey: string }> {
  const { secretsManagerSource } = await import('../shared/runtime/secrets-manager.ts');
  let raw: string;
  try {
    raw = await secretsManagerSource(secretId).readSecretString();
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new ProbeFailure(`could not read the secret "${secretId}": ${reason}`);
  }
  try {
    return parseServiceSecret(raw);
  } catch (error) {
    if (error instanceof SecretError) throw new ProbeFailure(`the secret "${secretId}": ${error.message}`);
    throw error;
  }
}

function parseCommandLine(argv: string[]): { json: boolean; secretId: string | undefined } | 'help' {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean', default: false }, 'secret-id': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) return 'help';
    if (values['secret-id'] !== undefined && values['secret-id'].trim() === '') throw new UsageError('--secret-id needs a value');
    return { json: values.json, secretId: values['secret-id']?.trim() };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function main(argv: string[]): Promise<number> {
  let apiKey = '';
  // Whatever is printed passes through redact: the key never reaches the terminal.
  const print = (text: string, stream: 'stdout' | 'stderr' = 'stdout'): void => {
    process[stream].write(`${apiKey === '' ? text : redact(text, apiKey)}\n`);
  };
  try {
    const options = parseCommandLine(argv);
    if (options === 'help') {
      print(USAGE);
      return 0;
    }
    const target = await resolveTarget(options.secretId);
    apiKey = target.apiKey;
    const report = analyse(target.baseUrl, await observe(httpGet(target.baseUrl, target.apiKey)));
    print(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      print(`probe: ${error.message}\n\n${USAGE}`, 'stderr');
      return 2;
    }
    print(`probe: ${error instanceof ProbeFailure ? error.message : `unexpected error: ${String(error)}`}`, 'stderr');
    return 1;
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
