/** An answer as the sandbox tests read it: status, headers, the text and its JSON ({} when it is not JSON). */
export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

/** One request over real HTTP; a string body goes as it is (a malformed one, on purpose), anything else as JSON. */
export async function rawRequest(method: string, url: string, body?: unknown): Promise<RawAnswer> {
  const response = await fetch(url, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (InvoiceXpress's HTML or blank 404, an empty register answer): json stays {}
  }
  return { status: response.status, headers: response.headers, text, json };
}
