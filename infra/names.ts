import { fileURLToPath } from 'node:url';
import type { StageConfig } from './config.ts';

export const SERVICE_NAME = 'ix-sequences';
/** Repository root: NodejsFunction entries, lock file and esbuild's working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The API Gateway stage (URL path prefix); environments are separate stacks, not API stages. */
export const API_STAGE_NAME = 'v1';

/** `ix-sequences-<stage>`: the prefix of every physical name in an environment. */
export function resourcePrefix(config: StageConfig): string {
  return `${SERVICE_NAME}-${config.stage}`;
}

/** `list-sequences` -> `ListSequences`, `read` -> `Read` (construct ids). */
export function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}
