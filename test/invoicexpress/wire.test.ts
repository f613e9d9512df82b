import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvoiceXpressError } from '../../shared/invoicexpress/errors.ts';
import { normalizeSequence, parseJsonBody, parseSequenceBody, parseSequenceListBody } from '../../shared/invoicexpress/wire.ts';
import type { WireContext } from '../../shared/invoicexpress/wire.ts';
import { parseErrorBody } from '../../shared/invoicexpress/error-body.ts';
import { pendingTypes, registrationOf } from '../../shared/sequences/sequence.ts';
import { SequenceSchema } from '../../shared/sequences/sequence.ts';

const docsText = readFileSync(new URL('../fixtures/docs-sequence.json', import.meta.url), 'utf8');
const docsBody = JSON.parse(docsText) as { sequences: Record<string, unknown> };
const docsRaw = docsBody.sequences;
const ctx: WireContext = { operation: 'get', path: '/sequences/146090.json', status: 200 };

function expectMalformed(fn: () => unknown, contains?: RegExp): InvoiceXpressError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvoiceXpressError);
  const error = caught as InvoiceXpressError;
  expect(error.kind).toBe('malformed_response');
  expect(error.operation).toBe('get');
  expect(error.message).toContain('InvoiceXpress get /sequences/146090.json answered 200');
  if (contains) expect(error.message).toMatch(contains);
  return error;
}

/** The docs' example, normalised, exactly. */
const DOCS_EXPECTED = {
  id: 146090,
  serie: '2022',
  isDefault: true,
  registered: true,
  documents: {
    invoice: { sequenceId: 146090, lastNumber: 0, validationCode: 'ABCD1230', atcud: 'registered' },
    invoice_receipt: { sequenceId: 146092, lastNumber: 0, validationCode: 'ABCD1231', atcud: 'registered' },
    simplified_invoice: { sequenceId: 146091, lastNumber: 0, validationCode: 'ABCD1232', atcud: 'registered' },
    credit_note: { sequenceId: 146095, lastNumber: 0, validationCode: 'ABCD1233', atcud: 'registered' },
    debit_note: { sequenceId: 146094, lastNumber: 0, validationCode: 'ABCD1234', atcud: 'registered' },
    receipt: { sequenceId: 146093, lastNumber: 0, validationCode: 'ABCD1235', atcud: 'registered' },
    shipping: { sequenceId: 146104, lastNumber: 0, validationCode: 'ABCD1236', atcud: 'registered' },
    transport: { sequenceId: 146106, lastNumber: 0, validationCode: 'ABCD1237', atcud: 'registered' },
    devolution: { sequenceId: 146105, lastNumber: 0, validationCode: 'ABCD1238', atcud: 'registered' },
    proforma: { sequenceId: 146102, lastNumber: 0, validationCode: 'ABCD1239', atcud: 'registered' },
    quote: { sequenceId: 146101, lastNumber: 0, validationCode: 'ABCD1240', atcud: 'registered' },
    fees_note: { sequenceId: 146103, lastNumber: 0, validationCode: null, atcud: 'not_applicable' },
    vat_moss_invoice: { sequenceId: 146097, lastNumber: 0, validationCode: null, atcud: 'not_applicable' },
    vat_moss_credit_note: { sequenceId: 146098, lastNumber: 0, validationCode: null, atcud: 'not_applicable' },
    vat_moss_receipt: { sequenceId: 146099, lastNumber: 0, validationCode: null, atcud: 'not_applicable' },
  },
} as const;

function stringly(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, typeof value === 'number' ? String(value) : value]));
}

describe('normalizeSequence / parseSequenceBody', () => {
  it("normalises the docs' example exactly", () => {
    const sequence = parseSequenceBody(docsBody, ctx);
    expect(sequence).toEqual(DOCS_EXPECTED);
    expect(Object.keys(sequence.documents)).toHaveLength(15);
    expect(SequenceSchema.parse(sequence)).toEqual(sequence);
  });

  it('accepts the single sequence under "sequence", under "sequences", and as a one-element list', () => {
    expect(parseSequenceBody({ sequence: docsRaw }, ctx)).toEqual(DOCS_EXPECTED);
    expect(parseSequenceBody({ sequences: docsRaw }, ctx)).toEqual(DOCS_EXPECTED);
    expect(parseSequenceBody({ sequences: [docsRaw] }, ctx)).toEqual(DOCS_EXPECTED);
    expect(parseSequenceBody(docsRaw, ctx)).toEqual(DOCS_EXPECTED);
  });

  it('accepts numbers as strings, serie as a number, and every default_sequence form', () => {
    expect(parseSequenceBody({ sequence: stringly(docsRaw) }, ctx)).toEqual(DOCS_EXPECTED);
    const numericSerie = normalizeSequence({ ...docsRaw, serie: 2022 }, ctx);
    expect(numericSerie.serie).toBe('2022');
    for (const [value, expected] of [
      [1, true],
      [0, false],
      ['1', true],
      ['0', false],
      [true, true],
      [false, false],
      ['true', true],
      ['false', false],
    ] as const) {
      expect(normalizeSequence({ ...docsRaw, default_sequence: value }, ctx).isDefault).toBe(expected);
    }
  });

  it('tolerates unknown extra fields', () => {
    const sequence = normalizeSequence({ ...docsRaw, something_new: { nested: true }, current_series_name: 'x' }, ctx);
    expect(sequence).toEqual(DOCS_EXPECTED);
  });

  it('discovers document types generically from the keys', () => {
    const sequence = normalizeSequence(
      {
        id: 9,
        serie: '2027',
        default_sequence: 0,
        current_some_future_doc_number: '7',
        current_some_future_doc_sequence_id: '19',
        current_some_future_doc_validation_code: 'XYZ9',
      },
      ctx,
    );
    expect(sequence).toEqual({
      id: 9,
      serie: '2027',
      isDefault: false,
      registered: true,
      documents: { some_future_doc: { sequenceId: 19, lastNumber: 7, validationCode: 'XYZ9', atcud: 'registered' } },
    });
  });

  it('maps N/D to pending (and registered false), N/A to not_applicable', () => {
    const pending = normalizeSequence({ ...docsRaw, current_invoice_validation_code: 'N/D', current_receipt_validation_code: 'n/d ' }, ctx);
    expect(pending.registered).toBe(false);
    expect(pending.documents['invoice']).toEqual({ sequenceId: 146090, lastNumber: 0, validationCode: null, atcud: 'pending' });
    expect(pending.documents['receipt']?.atcud).toBe('pending');
    expect(pending.documents['fees_note']?.atcud).toBe('not_applicable');
  });

  it('treats a null or blank validation code as pending (never assumed registered)', () => {
    expect(normalizeSequence({ ...docsRaw, current_quote_validation_code: null }, ctx).documents['quote']).toEqual({
      sequenceId: 146101,
      lastNumber: 0,
      validationCode: null,
      atcud: 'pending',
    });
    expect(normalizeSequence({ ...docsRaw, current_quote_validation_code: '  ' }, ctx).registered).toBe(false);
  });

  it('a sequence without any current_* field is not registered: its AT status is unknown', () => {
    const bare = normalizeSequence({ id: 5, serie: '2027', default_sequence: 0 }, ctx);
    expect(bare).toMatchObject({ documents: {}, registered: false });
    expect(registrationOf(bare)).toBe('unknown');
    expect(registrationOf(normalizeSequence(docsRaw, ctx))).toBe('registered');
  });

  it('fails with malformed_response when id, serie or default_sequence is missing or wrong', () => {
    const without = (key: string): Record<string, unknown> => Object.fromEntries(Object.entries(docsRaw).filter(([k]) => k !== key));
    expectMalformed(() => normalizeSequence(without('id'), ctx), /id/);
    expectMalformed(() => normalizeSequence(without('serie'), ctx), /serie/);
    expectMalformed(() => normalizeSequence(without('default_sequence'), ctx), /default_sequence/);
    expectMalformed(() => normalizeSequence({ ...docsRaw, id: 'abc' }, ctx), /id/);
    expectMalformed(() => normalizeSequence({ ...docsRaw, id: 0 }, ctx), /id/);
    expectMalformed(() => normalizeSequence({ ...docsRaw, id: 1.5 }, ctx), /id/);
    expectMalformed(() => normalizeSequence({ ...docsRaw, serie: '' }, ctx), /serie/);
    expectMalformed(() => normalizeSequence({ ...docsRaw, default_sequence: 2 }, ctx), /default_sequence/);
    expectMalformed(() => normalizeSequence({ ...docsRaw, default_sequence: 'yes' }, ctx), /default_sequence/);
    expectMalformed(() => normalizeSequence(null, ctx));
    expectMalformed(() => normalizeSequence([docsRaw], ctx));
  });

  it('keeps a document type with missing or unreadable fields with what is known: status unknown, the sequence not registered', () => {
    const unknownInvoice = normalizeSequence({ ...docsRaw, current_invoice_sequence_id: 'x' }, ctx);
    expect(unknownInvoice.documents['invoice']).toEqual({ sequenceId: null, lastNumber: 0, validationCode: 'ABCD1230', atcud: 'unknown' });
    expect(unknownInvoice.documents['receipt']?.atcud).toBe('registered');
    expect([unknownInvoice.registered, registrationOf(unknownInvoice)]).toEqual([false, 'unknown']);
    expect(normalizeSequence({ ...docsRaw, current_quote_number: null }, ctx).documents['quote']).toEqual({
      sequenceId: 146101,
      lastNumber: null,
      validationCode: 'ABCD1240',
      atcud: 'unknown',
    });
    expect(normalizeSequence({ ...docsRaw, current_quote_validation_code: 12 }, ctx).documents['quote']).toEqual({
      sequenceId: 146101,
      lastNumber: 0,
      validationCode: null,
      atcud: 'unknown',
    });
    const withoutId = Object.fromEntries(Object.entries(docsRaw).filter(([k]) => k !== 'current_receipt_sequence_id'));
    const noReceiptId = normalizeSequence(withoutId, ctx);
    expect(noReceiptId.documents['receipt']).toMatchObject({ sequenceId: null, atcud: 'unknown' });
    expect(registrationOf(noReceiptId)).toBe('unknown');
    // Pending and unknown together: still unknown (never "only pending", which a register would settle).
    const mixed = normalizeSequence({ ...withoutId, current_invoice_validation_code: 'N/D' }, ctx);
    expect([registrationOf(mixed), pendingTypes(mixed)]).toEqual(['unknown', ['invoice']]);
    expect(SequenceSchema.parse(mixed)).toEqual(mixed);
  });

  it('fails with malformed_response on unusable envelopes', () => {
    expectMalformed(() => parseSequenceBody({}, ctx), /sequence/);
    expectMalformed(() => parseSequenceBody({ sequences: [] }, ctx), /list of 0/);
    expectMalformed(() => parseSequenceBody({ sequences: [docsRaw, docsRaw] }, ctx), /list of 2/);
    expectMalformed(() => parseSequenceBody({ sequence: 'x' }, ctx));
    expectMalformed(() => parseSequenceBody('text', ctx));
    expectMalformed(() => parseJsonBody('', ctx), /empty/);
    expectMalformed(() => parseJsonBody(' ', ctx), /empty/);
    expectMalformed(() => parseJsonBody('<html>oops</html>', ctx), /not JSON/);
    expect(parseJsonBody('{"a":1}', ctx)).toEqual({ a: 1 });
  });

  it('never copies body values into the malformed message', () => {
    const error = expectMalformed(() => normalizeSequence({ ...docsRaw, id: 'SECRET-VALUE' }, ctx));
    expect(error.message).not.toContain('SECRET-VALUE');
  });
});

describe('parseSequenceListBody', () => {
  it('reads a list, with or without pagination (numbers as strings accepted)', () => {
    const second = { ...docsRaw, id: 2, serie: '2023', default_sequence: 0 };
    const plain = parseSequenceListBody({ sequences: [docsRaw, second] }, { ...ctx, operation: 'list' });
    expect(plain.sequences.map((s) => s.serie)).toEqual(['2022', '2023']);
    expect(plain.pagination).toBeUndefined();

    const paged = parseSequenceListBody({ sequences: [docsRaw], pagination: { total_entries: '3', current_page: '1', total_pages: '3', per_page: '1' } }, ctx);
    expect(paged.pagination).toMatchObject({ total_pages: 3, per_page: 1, total_entries: 3, current_page: 1 });
    expect(parseSequenceListBody([docsRaw], ctx).sequences).toHaveLength(1);
    expect(parseSequenceListBody({ sequences: [] }, ctx).sequences).toEqual([]);
  });

  it('fails the whole list when one element is unusable (never drops a serie silently)', () => {
    const listCtx: WireContext = { operation: 'get', path: '/sequences/146090.json', status: 200 };
    expectMalformed(() => parseSequenceListBody({ sequences: [docsRaw, { id: 3 }] }, listCtx), /sequences\[1\]/);
    expectMalformed(() => parseSequenceListBody({ items: [] }, listCtx), /sequences/);
    expectMalformed(() => parseSequenceListBody({ sequences: [docsRaw], pagination: { total_pages: 'many' } }, listCtx), /pagination/);
  });
});

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/wire/${name}`, import.meta.url), 'utf8')) as unknown;

describe('answers a real account can send (shapes other client libraries recorded)', () => {
  const listCtx: WireContext = { operation: 'list', path: '/sequences.json', status: 200 };

  it('a list with a document type that has its number but no sequence id: kept, that type unknown, the rest as it is', () => {
    const { sequences } = parseSequenceListBody(fixture('list-partial-document.json'), listCtx);
    expect(sequences).toEqual([
      {
        id: 201,
        serie: 'A',
        isDefault: true,
        registered: false,
        documents: { invoice: { sequenceId: null, lastNumber: 70, validationCode: null, atcud: 'unknown' } },
      },
      {
        id: 202,
        serie: '2027',
        isDefault: false,
        registered: true,
        documents: {
          invoice: { sequenceId: 202, lastNumber: 0, validationCode: 'ABCD2020', atcud: 'registered' },
          fees_note: { sequenceId: 203, lastNumber: 0, validationCode: null, atcud: 'not_applicable' },
        },
      },
    ]);
    expect(sequences.map(registrationOf)).toEqual(['unknown', 'registered']);
    for (const sequence of sequences) expect(SequenceSchema.parse(sequence)).toEqual(sequence);
  });

  it('a create answered before ATCUD: serie a number, default_sequence 0, no validation codes, a purchase_order type', () => {
    const sequence = parseSequenceBody(fixture('create-before-atcud.json'), { operation: 'create', path: '/sequences.json', status: 201 });
    const unknown = (sequenceId: number) => ({ sequenceId, lastNumber: 0, validationCode: null, atcud: 'unknown' });
    expect(sequence).toEqual({
      id: 1424772,
      serie: '2017',
      isDefault: false,
      registered: false,
      documents: { invoice: unknown(1424772), receipt: unknown(1424773), purchase_order: unknown(1424774) },
    });
    expect(registrationOf(sequence)).toBe('unknown');
  });

  it('get and create under "sequence" or "sequences"; register answering a one-element list', () => {
    const raw = (fixture('create-before-atcud.json') as { sequence: unknown }).sequence;
    const expected = parseSequenceBody({ sequence: raw }, ctx);
    expect(parseSequenceBody({ sequences: raw }, ctx)).toEqual(expected);
    expect(parseSequenceBody({ sequences: [raw] }, ctx)).toEqual(expected);
  });

  it('refuses only what cannot be acted on: no id, no serie, an unreadable default_sequence (the whole list)', () => {
    const partial = { id: 201, serie: 'A', default_sequence: 1, current_invoice_number: 70 };
    const without = (key: string) => Object.fromEntries(Object.entries(partial).filter(([k]) => k !== key));
    const [noId, noSerie] = [without('id'), without('serie')];
    const cases: [unknown, RegExp][] = [
      [noId, /sequences\[1\]: id/],
      [noSerie, /sequences\[1\]: serie/],
      [{ ...partial, default_sequence: null }, /sequences\[1\]: default_sequence/],
      [{ ...partial, serie: 20.5 }, /sequences\[1\]: serie/],
    ];
    for (const [bad, problem] of cases) {
      expectMalformed(() => parseSequenceListBody({ sequences: [docsRaw, bad] }, ctx), problem);
    }
  });
});

const messagesOf = (body: unknown): string[] => parseErrorBody(body).messages;

describe('parseErrorBody', () => {
  it('accepts every recorded and assumed shape', () => {
    expect(messagesOf('{"errors":[{"error":"Serie has already been taken"}]}')).toEqual(['Serie has already been taken']);
    expect(messagesOf('{"errors":[{"error":"a"},{"error":"b"}]}')).toEqual(['a', 'b']);
    expect(messagesOf('{"errors":["The sequence name is invalid"]}')).toEqual(['The sequence name is invalid']);
    expect(messagesOf('{"errors":{"code":"007","message":"All Sequences are registered in AT."}}')).toEqual(['All Sequences are registered in AT.']);
    expect(messagesOf('{"error":"Access denied"}')).toEqual(['Access denied']);
    expect(messagesOf('{"message":"Not found"}')).toEqual(['Not found']);
    expect(messagesOf('{"errors":{"serie":["has already been taken"]}}')).toEqual(['serie has already been taken']);
    expect(messagesOf('{"error":{"message":"nested"}}')).toEqual(['nested']);
    expect(messagesOf('[["name","não está disponível."]]')).toEqual(['name não está disponível.']);
    expect(messagesOf('[["name","não está disponível."],["serie","é inválida"]]')).toEqual(['name não está disponível.', 'serie é inválida']);
    expect(messagesOf('["só uma mensagem"]')).toEqual(['só uma mensagem']);
    expect(messagesOf('{"errors":["Serie has already been taken","The sequence name is invalid"]}')).toHaveLength(2);
  });

  it('gives [] for empty, blank, HTML, text and unrelated JSON bodies', () => {
    expect(messagesOf('')).toEqual([]);
    expect(messagesOf(' ')).toEqual([]);
    expect(messagesOf('\n')).toEqual([]);
    expect(messagesOf('<!DOCTYPE html><html><body>The page you were looking for does not exist</body></html>')).toEqual([]);
    expect(messagesOf('Access denied')).toEqual([]);
    expect(messagesOf('{broken')).toEqual([]);
    expect(messagesOf('{}')).toEqual([]);
    expect(messagesOf('{"errors":[]}')).toEqual([]);
    expect(messagesOf('null')).toEqual([]);
  });

  it('collects InvoiceXpress error codes, from text or from JSON already parsed', () => {
    expect(parseErrorBody('{"errors":{"code":"007","message":"All Sequences are registered in AT."}}').codes).toEqual(['007']);
    expect(parseErrorBody({ errors: { code: 4, message: 'x' } }).codes).toEqual(['4']);
    expect(parseErrorBody({ code: '000', message: 'Unknown error.' })).toEqual({ codes: ['000'], messages: ['Unknown error.'] });
    expect(parseErrorBody({ errors: [{ error: 'no code here' }] }).codes).toEqual([]);
    expect(parseErrorBody({ code: 'not-a-code', message: 'm' }).codes).toEqual([]);
  });

  it('bounds the number and length of messages', () => {
    const many = JSON.stringify({ errors: Array.from({ length: 50 }, (_, i) => `m${String(i)}`) });
    expect(messagesOf(many)).toHaveLength(20);
    const long = JSON.stringify({ error: 'x'.repeat(5000) });
    expect(messagesOf(long)[0]).toHaveLength(500);
  });
});
