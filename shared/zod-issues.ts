import type * as z from './zod.ts';

/**
 * How the project words a zod error, everywhere (env, secret, payloads, tables, the CLI, infra
 * config, the sandbox): "path: message" per issue, the path dotted, `root` naming the whole value.
 */

export interface IssueWording {
  /** What an issue of the whole value is called (default "(root)"). */
  root?: string | undefined;
  /** Put before every path (e.g. "body" for an HTTP body). */
  prefix?: string | undefined;
  /** At most this many issues, then "(+N more)". */
  limit?: number | undefined;
}

export function issuePath(issue: z.core.$ZodIssue, wording: IssueWording = {}): string {
  const parts = [...(wording.prefix === undefined ? [] : [wording.prefix]), ...issue.path.map(String)];
  return parts.length > 0 ? parts.join('.') : (wording.root ?? '(root)');
}

/** One "path: message" per issue. */
export function issueLines(error: z.core.$ZodError, wording: IssueWording = {}): string[] {
  const kept = error.issues.slice(0, wording.limit ?? error.issues.length);
  const lines = kept.map((issue) => `${issuePath(issue, wording)}: ${issue.message}`);
  const more = error.issues.length - kept.length;
  return more > 0 ? [...lines, `(+${String(more)} more)`] : lines;
}

/** The distinct paths at fault, never the values (for secrets and stored items). */
export function issueFields(error: z.core.$ZodError, wording: IssueWording = {}): string[] {
  const fields = [...new Set(error.issues.map((issue) => issuePath(issue, wording)))];
  const kept = fields.slice(0, wording.limit ?? fields.length);
  return kept.length < fields.length ? [...kept, `(+${String(fields.length - kept.length)} more)`] : kept;
}
