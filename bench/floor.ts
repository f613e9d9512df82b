/**
 * The floor of the cold bench: a function whose whole cold path is one `fetch` of a sequence from
 * InvoiceXpress (the sandbox). Every function is reported as a ratio to it.
 */
// IX_BASE_URL locally is the sandbox's account URL template (`…/accounts/{account}`), as the functions get it.
const baseUrl = (process.env['IX_BASE_URL'] ?? '').replaceAll('{account}', process.env['IX_ACCOUNT_NAME'] ?? '');
const url = `${baseUrl}/sequences/146090.json?api_key=${process.env['BENCH_FLOOR_API_KEY'] ?? ''}`;

export const handler = async (): Promise<{ statusCode: number; body: string }> => {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  return { statusCode: response.status, body: await response.text() };
};
