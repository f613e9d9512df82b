import type { RawSequence, SandboxVariants } from './types.ts';

/** How the sandbox's InvoiceXpress answers look on the wire, in each variant. */

export type Answer = { status: number; body: string; headers?: Record<string, string> };

export const json = (status: number, value: unknown): Answer => ({
  status,
  body: JSON.stringify(value),
  headers: { 'content-type': 'application/json; charset=utf-8' },
});

/** InvoiceXpress's recorded error shape: {"errors": [{"error": "message"}]}. */
export const errors = (status: number, ...messages: string[]): Answer => json(status, { errors: messages.map((error) => ({ error })) });

const CURRENT_FIELD = /^current_/;

/** A sequence as an answer shows it: without current_* fields or with numbers as strings, per variant. */
function wireSequence(sequence: RawSequence, variants: SandboxVariants, where: 'list' | 'single'): Record<string, unknown> {
  const fields = variants.currentFields ?? 'all';
  const hideCurrent = fields === 'none' || (fields === 'not_in_list' && where === 'list');
  return Object.fromEntries(
    Object.entries(sequence)
      .filter(([key]) => !(hideCurrent && CURRENT_FIELD.test(key)))
      .map(([key, value]) => [key, variants.stringly && typeof value === 'number' ? String(value) : value]),
  );
}

/** get and create: one sequence under `sequences` (the docs) or `sequence` (seen live). */
export function singleAnswer(status: number, sequence: RawSequence, variants: SandboxVariants): Answer {
  return json(status, { [variants.singleKey ?? 'sequences']: wireSequence(sequence, variants, 'single') });
}

/** list: everything, or one page with a `pagination` object when the pageSize variant is on. */
export function listAnswer(all: RawSequence[], variants: SandboxVariants, query: URLSearchParams): Answer {
  const shown = (sequence: RawSequence) => wireSequence(sequence, variants, 'list');
  const pageSize = variants.pageSize;
  if (pageSize === undefined) return json(200, { sequences: all.map(shown) });
  const perPage = Math.max(1, Number(query.get('per_page') ?? pageSize) || pageSize);
  const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const totalPages = Math.max(1, Math.ceil(all.length / perPage));
  return json(200, {
    sequences: all.slice((page - 1) * perPage, page * perPage).map(shown),
    pagination: { total_entries: all.length, current_page: page, total_pages: totalPages, per_page: perPage },
  });
}

/** register and set_current's OK answer, per the actionBody variant. */
export function actionAnswer(operation: 'register' | 'set_current', sequence: RawSequence, variants: SandboxVariants): Answer {
  switch (variants.actionBody ?? 'docs') {
    case 'empty':
      return { status: 200, body: '' };
    case 'text':
      return { status: 200, body: 'OK', headers: { 'content-type': 'text/plain' } };
    case 'docs':
      // Register documents a one-element list; set_current documents no body.
      return operation === 'register' ? json(200, { sequences: [wireSequence(sequence, variants, 'single')] }) : { status: 200, body: '' };
  }
}
