import { ProbeFailure } from './errors.ts';
import type { ProbeGet, ProbeResponse } from './http.ts';

/** What the probe reads (about five GETs), and the raw sequences in those answers. */

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

/** One raw sequence as InvoiceXpress sent it (the probe reports its raw shapes). */
export type Item = Record<string, unknown>;

export const isRecord = (value: unknown): value is Item => typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The list's sequences: {"sequences": [...]} (or a bare array); undefined when it is neither. */
export function listItems(body: unknown): Item[] | undefined {
  const items = Array.isArray(body) ? body : isRecord(body) ? (body['sequences'] ?? body['sequence']) : undefined;
  if (isRecord(items)) return [items];
  return Array.isArray(items) ? items.filter(isRecord) : undefined;
}

/** The list must be readable, or there is nothing to report: a ProbeFailure names why. */
export function readList(list: ProbeResponse): { body: unknown; items: Item[] } {
  if (list.status === 401) throw new ProbeFailure('InvoiceXpress refused the key (401): check the account name and the API key');
  if (list.status < 200 || list.status > 299) throw new ProbeFailure(`GET /sequences.json answered ${String(list.status)}`);
  const body = parseJson(list.text);
  const items = listItems(body);
  if (!items) throw new ProbeFailure('GET /sequences.json did not answer a JSON list of sequences');
  return { body, items };
}

/** The single sequence inside a get answer, and the key it came under. */
export function singleOf(body: unknown): { key: 'sequence' | 'sequences' | 'bare' | 'other'; sequence?: Item } {
  if (!isRecord(body)) return { key: 'other' };
  for (const key of ['sequence', 'sequences'] as const) {
    const inner = body[key];
    if (isRecord(inner)) return { key, sequence: inner };
    if (Array.isArray(inner) && inner.length === 1 && isRecord(inner[0])) return { key, sequence: inner[0] };
  }
  return 'id' in body ? { key: 'bare', sequence: body } : { key: 'other' };
}

/** Reads everything it needs, GET by GET. */
export async function observe(get: ProbeGet): Promise<Observations> {
  const list = await get('/sequences.json');
  const { items } = readList(list);
  const first = items.find((item) => /^\d+$/.test(String(item['id'])));
  const id = first === undefined ? undefined : String(first['id']);
  return {
    list,
    get: id === undefined ? undefined : await get(`/sequences/${id}.json`),
    pages:
      items.length === 0 ? undefined : [await get('/sequences.json', { page: '1', per_page: '1' }), await get('/sequences.json', { page: '2', per_page: '1' })],
    notFound: await get('/sequences/0.json'),
  };
}
