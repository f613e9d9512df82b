import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiText } from '../../shared/http/openapi.ts';

/**
 * `npm start` as a user runs it (in a child process): HTTP in, local API Gateway,
 * the function modules, the client, HTTP to the sandbox.
 */

let child: ChildProcess;
let base = '';
let output = '';

beforeAll(async () => {
  // Exactly the README's command (npm puts the project's Node 24 first on PATH).
  child = spawn('npm', ['start'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, PORT: '0', POWERTOOLS_LOG_LEVEL: 'INFO' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not print its URL:\n${output}`)), 15_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const found = /local API: (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (found?.[1]) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
});

afterAll(() => {
  // npm and the server it started form one process group.
  if (child?.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: JSON.parse(text) as Record<string, unknown> };
}

describe('npm start', () => {
  it('prints the URL and a working curl', () => {
    expect(output).toContain(`curl -s ${base}/sequences`);
  });

  it('answers GET /sequences (and /sequences/) with the seeded sequences', async () => {
    for (const path of ['/sequences', '/sequences/']) {
      const answer = await call('GET', path);
      expect(answer.status).toBe(200);
      expect((answer.json['sequences'] as { serie: string }[]).map((s) => s.serie)).toEqual(['2022']);
      expect(answer.headers.get('x-request-id')).toMatch(/.+/);
    }
  });

  it('create → register → set_current round trip', async () => {
    const created = await call('POST', '/sequences', { serie: '2027' });
    expect(created.status).toBe(201);
    const id = (created.json['sequence'] as { id: number }).id;
    const registered = await call('PUT', `/sequences/${String(id)}/register`);
    expect(registered.status).toBe(200);
    expect(registered.json['sequence']).toMatchObject({ registered: true });
    const current = await call('PUT', `/sequences/${String(id)}/set_current`);
    expect(current.json['sequence']).toMatchObject({ id, isDefault: true });
    const listed = await call('GET', '/sequences');
    expect((listed.json['sequences'] as { serie: string; isDefault: boolean }[]).filter((s) => s.isDefault)).toEqual([
      expect.objectContaining({ serie: '2027' }),
    ]);
  });

  it('an unknown route → 404 not_found in the error shape', async () => {
    const answer = await call('GET', '/nope');
    expect(answer.status).toBe(404);
    expect(answer.json['error']).toMatchObject({ code: 'not_found', requestId: answer.headers.get('x-request-id') });
    expect((await call('DELETE', '/sequences/146090')).status).toBe(404);
  });

  it('serves the OpenAPI document, equal to the committed docs/openapi.json', async () => {
    const response = await fetch(`${base}/openapi.json`);
    expect(response.headers.get('x-request-id')).toMatch(/.+/);
    const served = await response.text();
    const committed = readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8');
    expect(served).toBe(committed);
    expect(openApiText()).toBe(committed);
  });

  it('logs one JSON line per request (and one per webhook attempt of the local delivery), without the sandbox key', () => {
    const lines = output.split('\n').filter((line) => line.startsWith('{'));
    const messages = lines.map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages.filter((message) => message === 'request').length).toBeGreaterThanOrEqual(6);
    expect(messages.filter((message) => message !== 'request' && message !== 'Notification attempt')).toEqual([]);
    // The banner names the sandbox's public test key on purpose; the log lines never carry it.
    expect(lines.join('\n')).not.toContain('sandbox-api-key');
  });
});
