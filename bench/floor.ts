/**
 * The floor of the cold bench: a function whose whole cold path is one `fetch` of a sequence from
 * InvoiceXpress (the sandbox). Every function is reported as a ratio to it.
 */
const url = `${process.env['IX_BASE_URL'] ?? ''}/sequences/146090.json?api_key=${process.env['BENCH_FLOOR_API_KEY'] ?? ''}`;

export const handler = async (): Promise<{ statusCode: number; body: string }> => {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  return { statusCode: response.status, body: await response.text() };
};
