import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createIxSequencesClient } from '../../client/index.ts';
import { useStackBehindProxy } from './capture-proxy.ts';
import { expectedAuthorization, parseAuthorization } from './sigv4-check.ts';
import { ENVIRONMENT_ONLY_CREDENTIALS, runProcess } from '../support/child-process.ts';
import type { ProcessOutcome } from '../support/child-process.ts';

/**
 * README "## Calling the API": its TypeScript, Python and curl examples, run as written against
 * the local stack (through a capture proxy), with dummy credentials. Each must print what the
 * client reads, and every request it sent must carry a SigV4 signature that verifies.
 *
 * The Python example needs botocore in /usr/bin/python3 (Debian's python3-botocore). Without it the
 * test is skipped, visibly, unless REQUIRE_PYTHON_EXAMPLE=1 (set by .ci/run, which installs it).
 */

const root = new URL('../../', import.meta.url);
const section = readFileSync(new URL('README.md', root), 'utf8').split('\n## Calling the API\n')[1]?.split('\n## ')[0] ?? '';
const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ language: m[1] ?? '', code: m[2] ?? '' }));
const example = (language: string) => blocks.find((block) => block.language === language)?.code ?? '';
const curlExample = blocks.find((block) => block.code.includes('--aws-sigv4'))?.code ?? '';

const PYTHON = '/usr/bin/python3';
const hasBotocore = spawnSync(PYTHON, ['-c', 'import botocore'], { stdio: 'ignore' }).status === 0;
const requireBotocore = process.env['REQUIRE_PYTHON_EXAMPLE'] === '1';
const curlHelp = spawnSync('curl', ['--help', 'all'], { encoding: 'utf8' });
const hasCurlSigV4 = curlHelp.status === 0 && curlHelp.stdout.includes('--aws-sigv4');
const botocoreMissing = `${PYTHON} cannot import botocore (Debian: apt-get install python3-botocore)`;
const curlMissing = 'no curl with --aws-sigv4 (7.75 or later) on PATH';
const skipPython = !hasBotocore && !requireBotocore;
// Say why in the test output, not only in the count of skipped tests.
if (skipPython) console.warn(`README Python example SKIPPED: ${botocoreMissing}`);
if (!hasCurlSigV4) console.warn(`README curl example SKIPPED: ${curlMissing}`);

const credentials = { AWS_ACCESS_KEY_ID: 'ASIAREADMEEXAMPLE', AWS_SECRET_ACCESS_KEY: 'readme-secret', AWS_SESSION_TOKEN: 'readme-token' };
const local = useStackBehindProxy();

/** Runs a program with `code` on stdin (never spawnSync: the stack answers from this process). */
function run(command: string, args: string[], code: string, env: Record<string, string> = {}): Promise<ProcessOutcome> {
  const environment = { IX_SEQUENCES_URL: local.proxy.url, AWS_REGION: 'eu-west-1', ...ENVIRONMENT_ONLY_CREDENTIALS, ...credentials, ...env };
  return runProcess(command, args, { cwd: root, env: environment, stdin: code });
}

/** The client straight to the local gateway (not through the proxy), to read the expected state. */
const directClient = () => createIxSequencesClient({ baseUrl: local.stack.url, region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

/** What the TypeScript and Python examples must print, read through the client. */
async function expectedLines(): Promise<string[]> {
  const ix = directClient();
  const { sequences } = await ix.listSequences();
  const plan = await ix.runRollover({ phase: 'prepare', year: 2027, dryRun: true });
  const one = sequences.find((s) => s.id === 1);
  return [
    ...sequences.map((s) => `${String(s.id)} ${s.serie} ${s.isDefault ? '(default)' : ''}`.trim()),
    `${plan.outcome} ${plan.steps.map((step) => `${step.action}:${step.status}`).join(' ')}`,
    one ? one.serie : 'no sequence 1',
  ];
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** Every request reached the gateway signed for execute-api in the region, and each signature verifies. */
async function expectSigned(sessionToken: string | undefined): Promise<void> {
  expect(local.proxy.requests.length).toBeGreaterThan(0);
  for (const request of local.proxy.requests) {
    expect(parseAuthorization(request.headers['authorization'])).toMatchObject({
      accessKeyId: credentials.AWS_ACCESS_KEY_ID,
      region: 'eu-west-1',
      service: 'execute-api',
    });
    expect(request.headers['x-amz-security-token']).toBe(sessionToken);
    expect(await expectedAuthorization(request, credentials.AWS_SECRET_ACCESS_KEY)).toBe(request.headers['authorization']);
  }
}

describe('README: Calling the API', () => {
  it('has the three examples', () => {
    expect(example('ts')).toContain("from 'ix-sequences/client'");
    expect(example('python')).toContain('SigV4Auth');
    expect(curlExample).toContain('aws:amz:$AWS_REGION:execute-api');
  });

  it('the TypeScript example runs with the project node and prints what the client reads', async () => {
    const result = await run(process.execPath, ['--input-type=module-typescript'], example('ts'));
    expect(result.status, result.stderr).toBe(0);
    expect(lines(result.stdout)).toEqual(await expectedLines());
    await expectSigned(credentials.AWS_SESSION_TOKEN);
  });

  it.skipIf(skipPython)(`the Python example (botocore) prints the same${skipPython ? ` (skipped: ${botocoreMissing})` : ''}`, async () => {
    expect(hasBotocore, `${botocoreMissing}, and REQUIRE_PYTHON_EXAMPLE=1 says it must be there`).toBe(true);
    const result = await run(PYTHON, ['-'], example('python'));
    expect(result.status, result.stderr).toBe(0);
    expect(lines(result.stdout)).toEqual(await expectedLines());
    await expectSigned(credentials.AWS_SESSION_TOKEN);
  });

  it.skipIf(!hasCurlSigV4)(
    `the curl example answers the list and the dry run, signed with and without a session token${hasCurlSigV4 ? '' : ` (skipped: ${curlMissing})`}`,
    async () => {
      for (const token of [credentials.AWS_SESSION_TOKEN, undefined]) {
        local.proxy.requests.length = 0;
        const result = await run('bash', ['-s'], curlExample, { AWS_SESSION_TOKEN: token ?? '' });
        expect(result.status, result.stderr).toBe(0);
        const [list, plan] = lines(result.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(list).toEqual(await directClient().listSequences());
        expect(plan).toMatchObject({ phase: 'prepare', year: 2027, dryRun: true });
        await expectSigned(token);
      }
    },
  );
});
