import { spawn } from 'node:child_process';

export interface ProcessOutcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The AWS SDK's default credential chain fed by the environment only: no profile files, no
 * instance metadata (so a test never reaches for real credentials).
 */
export const ENVIRONMENT_ONLY_CREDENTIALS = {
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  AWS_EC2_METADATA_DISABLED: 'true',
};

/**
 * Runs a program to its end with `env` (plus PATH and HOME) and `stdin`, collecting its output.
 * Asynchronous on purpose (never spawnSync): a stack the program calls answers from this process.
 */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd: URL | string; env: Record<string, string>; stdin?: string },
): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
