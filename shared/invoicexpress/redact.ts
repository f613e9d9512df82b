/**
 * Secret scrubbing for anything the client puts into an error. The API key travels in the query
 * string, so: no URL query strings, and never the key itself in any of its encodings.
 */

/** Every form the key can take in text we might see: raw, percent-encoded, form-encoded. */
function secretForms(secret: string): string[] {
  if (secret === '') return [];
  const forms = new Set<string>([secret, encodeURIComponent(secret), new URLSearchParams({ k: secret }).toString().slice(2), encodeURI(secret)]);
  // Longest first, so a longer encoded form is replaced before a shorter form inside it.
  return [...forms].filter((form) => form !== '').sort((a, b) => b.length - a.length);
}

const QUERY_IN_URL = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)\?[^\s#"'<>]*/gi;
const API_KEY_PARAM = /(api_key=)[^&\s#"'<>]*/gi;

/** Removes the secret (every encoding), URL query strings and api_key parameters from text. */
export function redact(text: string, secret: string): string {
  let out = text;
  for (const form of secretForms(secret)) out = out.split(form).join('[redacted]');
  return out.replace(QUERY_IN_URL, '$1?[redacted]').replace(API_KEY_PARAM, '$1[redacted]');
}

/**
 * Redacts every string inside a parsed JSON value (an error body), before anything cuts it short:
 * a message cut first could keep part of the key (the cut falls inside it, so no form matches).
 */
export function redactValue(value: unknown, secret: string, depth = 0): unknown {
  if (typeof value === 'string') return redact(value, secret);
  if (depth > 8 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => redactValue(item, secret, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [redact(key, secret), redactValue(item, secret, depth + 1)]));
}
