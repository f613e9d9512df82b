import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { props, resourcesOfType, synthStage } from '../infra/support.ts';

/** The alarm names the README and docs/deploy.md give operators are the template's, exactly. */

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

/** The section of a markdown document under `heading` (up to the next heading of that level). */
function section(markdown: string, heading: string): string {
  const level = /^#+/.exec(heading)?.[0] ?? '##';
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no "${heading}" section`);
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n${level} `));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Alarm names in the first column of a markdown table, with the environment as `<env>`. */
function tableAlarmNames(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .map((line) => /^\| `(ix-sequences-<env>-[a-z0-9-]+)`/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

describe('alarm names in the docs', () => {
  let templateNames: string[];
  beforeAll(() => {
    const { json } = synthStage('staging');
    templateNames = resourcesOfType(json, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => String(props(a)['AlarmName']).replace(/^ix-sequences-staging-/, 'ix-sequences-<env>-'))
      .sort();
    expect(templateNames.length).toBeGreaterThan(0);
  });

  it("README's troubleshooting table names exactly the template's alarms", () => {
    expect(tableAlarmNames(section(read('README.md'), '## Troubleshooting'))).toEqual(templateNames);
  });

  it("docs/deploy.md's alarm table names exactly the template's alarms", () => {
    expect(tableAlarmNames(section(read('docs/deploy.md'), '## Alarms'))).toEqual(templateNames);
  });
});
