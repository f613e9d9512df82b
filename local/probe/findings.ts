import { DOCUMENT_TYPES } from '../../shared/document-types.ts';
import { DOCUMENT_FIELD, normalizeSequence } from '../../shared/invoicexpress/wire.ts';
import type { ProbeResponse } from './http.ts';
import { isRecord, listItems, parseJson, readList, singleOf } from './observe.ts';
import type { Item, Observations } from './observe.ts';

/**
 * What the answers mean: one finding per unknown (ids as in docs/invoicexpress.md), each computed
 * from what was seen alone (no I/O). A new finding is one entry of FINDINGS.
 */

export interface Finding {
  /** The unknown, as a question. */
  question: string;
  /** The answer for this account; null when the probe could not tell. */
  value: string | boolean | string[] | null;
  /** What was seen, in words. */
  detail: string;
}

/** Everything the findings are computed from. */
interface Seen {
  observed: Observations;
  /** The list's parsed body, and its sequences. */
  body: unknown;
  items: Item[];
  /** The account's sequences: `pagination.total_entries` when the list says so, else the count listed. */
  total: number;
  /** The listed sequences and the one read with GET. */
  sequences: Item[];
  /** Every answer, in the order sent. */
  responses: ProbeResponse[];
}

const currentKeys = (item: Item): string[] => Object.keys(item).filter((key) => DOCUMENT_FIELD.test(key));

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
  kindFinding(
    'Does default_sequence come as 1/0, "1"/"0" or true/false?',
    kindsOf(sequences, (key) => key === 'default_sequence'),
    'default_sequence',
  );

const findSerieType = (sequences: Item[]): Finding =>
  kindFinding(
    'Does serie come as a string or a number?',
    kindsOf(sequences, (key) => key === 'serie'),
    'serie',
  );

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
  const types = new Set(sequences.flatMap((sequence) => currentKeys(sequence).map((key) => DOCUMENT_FIELD.exec(key)?.[1] ?? '')));
  if (types.size === 0) return { question, value: null, detail: 'not checked: no current_* fields seen' };
  const documented = new Set<string>(DOCUMENT_TYPES);
  const extra = [...types].filter((type) => !documented.has(type)).sort();
  const missing = DOCUMENT_TYPES.filter((type) => !types.has(type));
  const detail =
    `${extra.length === 0 ? 'none beyond the list' : `beyond the list: ${extra.join(', ')}`}` +
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
  const read =
    unreadable.length === 0
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

/** `pagination.total_entries`, when the list carries it as a whole number. */
function totalEntries(body: unknown): number | undefined {
  const pagination = isRecord(body) ? body['pagination'] : undefined;
  const total = isRecord(pagination) ? Number(pagination['total_entries']) : Number.NaN;
  return Number.isInteger(total) && total >= 0 ? total : undefined;
}

const notProbed = (question: string, detail: string) => (): Finding => ({ question, value: null, detail });

/** Every finding, in report order: its label in the text report, and how it is found. */
const FINDINGS = {
  singleKey: { label: 'single-sequence key', find: (seen: Seen) => findSingleKey(seen.observed.get) },
  listCurrentFields: { label: 'current_* fields in list', find: (seen: Seen) => findListCurrentFields(seen.items) },
  getCurrentFields: { label: 'current_* fields in get', find: (seen: Seen) => findGetCurrentFields(seen.observed.get) },
  paginationObject: { label: 'pagination object', find: (seen: Seen) => findPaginationObject(seen.body, seen.items) },
  pageParameters: { label: '?page=&per_page=', find: (seen: Seen) => findPageParameters(seen.total, seen.observed.pages) },
  numbersAsStrings: { label: 'numbers', find: (seen: Seen) => findNumbersAsStrings(seen.sequences) },
  defaultSequence: { label: 'default_sequence', find: (seen: Seen) => findDefaultSequence(seen.sequences) },
  serieType: { label: 'serie', find: (seen: Seen) => findSerieType(seen.sequences) },
  rateLimitHeaders: { label: 'rate-limit headers', find: (seen: Seen) => findRateLimitHeaders(seen.responses) },
  documentTypes: { label: 'document types', find: (seen: Seen) => findDocumentTypes(seen.sequences) },
  incompleteTypes: { label: 'incomplete types', find: (seen: Seen) => findIncompleteTypes(seen.sequences) },
  notFoundBody: { label: '404 body', find: (seen: Seen) => findNotFoundBody(seen.observed.notFound) },
  wrongKeyBody: {
    label: 'wrong-key error body',
    find: notProbed('What is the error body for a wrong key?', 'not probed: it needs a second, wrong key, and the probe uses only the key it is given'),
  },
  writeAnswers: {
    label: 'write answers',
    find: notProbed('What do create, register and set_current answer (keys, bodies, refusals)?', 'not probed: the probe never writes to the account'),
  },
  createMakesDefault: {
    label: 'create makes default',
    find: notProbed(
      'Does a create through the API make the new serie the default (as the web app does), whatever default_sequence says?',
      'not probed: it needs a create; the service reads every new serie back and, when it became the default, puts the previous default back (rollover step set_current, POST /sequences restoredDefault)',
    ),
  },
} satisfies Record<string, { label: string; find: (seen: Seen) => Finding }>;

export type FindingId = keyof typeof FINDINGS;
export const FINDING_IDS = Object.keys(FINDINGS) as FindingId[];
export const FINDING_LABELS: Record<FindingId, string> = Object.fromEntries(FINDING_IDS.map((id) => [id, FINDINGS[id].label])) as Record<FindingId, string>;

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

/** The report, from the answers alone (no I/O). */
export function analyse(target: string, observed: Observations): ProbeReport {
  const { body, items } = readList(observed.list);
  const total = totalEntries(body) ?? items.length;
  const single = observed.get?.status === 200 ? singleOf(parseJson(observed.get.text)).sequence : undefined;
  const sequences = single ? [...items, single] : items;
  const responses = [observed.list, ...(observed.get ? [observed.get] : []), ...(observed.pages ?? []), observed.notFound];
  const seen: Seen = { observed, body, items, total, sequences, responses };
  return {
    target,
    requests: responses.map((response) => ({ method: 'GET', path: response.path, status: response.status })),
    sequencesListed: items.length,
    sequencesInAccount: total,
    findings: Object.fromEntries(FINDING_IDS.map((id) => [id, FINDINGS[id].find(seen)])) as Record<FindingId, Finding>,
  };
}
