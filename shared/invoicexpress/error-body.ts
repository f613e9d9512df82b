/**
 * InvoiceXpress error bodies: their messages and codes, whatever shape they come in. The caller
 * redacts the body BEFORE this cuts messages to length (a cut key matches no redaction form).
 */
import { isRecord } from './wire.ts';

const MAX_MESSAGES = 20;
const MAX_MESSAGE_LENGTH = 500;
const ERROR_CODE = /^\d{1,4}$/;

export interface ErrorBody {
  messages: string[];
  /** InvoiceXpress's own error codes ("007"), when the body carries any. */
  codes: string[];
}

const isPair = (value: unknown): value is [string, string] => Array.isArray(value) && value.length === 2 && value.every((item) => typeof item === 'string');

function collect(value: unknown, out: ErrorBody, depth: number, label?: string): void {
  if (depth > 4 || out.messages.length >= MAX_MESSAGES) return;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed !== '') out.messages.push((label === undefined ? trimmed : `${label} ${trimmed}`).slice(0, MAX_MESSAGE_LENGTH));
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      // A list of [field, message] pairs (as Rails' errors.to_a gives): one message per pair.
      if (isPair(item)) collect(item[1], out, depth + 2, label ?? item[0].trim());
      else collect(item, out, depth + 1, label);
    }
    return;
  }
  if (!isRecord(value)) return;
  const code = value['code'];
  if ((typeof code === 'string' || typeof code === 'number') && ERROR_CODE.test(String(code))) out.codes.push(String(code));
  // {"error": "m"} / {"message": "m"} / {"code": "007", "message": "m"} / {"error": {"message": "m"}}
  const direct = value['message'] ?? value['error'] ?? value['errors'] ?? value['detail'];
  if (direct !== undefined) {
    collect(direct, out, depth + 1, label);
    return;
  }
  // Rails-style field map: {"serie": ["has already been taken"]} → "serie has already been taken"
  for (const [key, item] of Object.entries(value)) {
    if (key === 'code' || key === 'status') continue;
    collect(item, out, depth + 1, label ?? key);
  }
}

/**
 * InvoiceXpress error body (raw text, or JSON already parsed) → its messages and codes. Accepts
 * {"errors":[{"error":"m"}]}, {"errors":["m"]}, {"errors":{"code":"007","message":"m"}},
 * {"code":"000","message":"m"}, {"error":"m"}, {"message":"m"}, field maps, and a list of
 * [field, message] pairs ([["name","não está disponível."]] → "name não está disponível."). An empty, HTML or otherwise non-JSON body gives
 * nothing: its text is never passed on.
 */
export function parseErrorBody(body: unknown): ErrorBody {
  let parsed = body;
  if (typeof body === 'string') {
    const text = body.trim();
    if (text === '' || !(text.startsWith('{') || text.startsWith('['))) return { messages: [], codes: [] };
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      return { messages: [], codes: [] };
    }
  }
  const out: ErrorBody = { messages: [], codes: [] };
  collect(parsed, out, 0);
  return out;
}
