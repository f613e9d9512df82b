import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Functions fit on a screen: in the project's own sources (tests and the bench aside) no function
 * is over 80 lines and at most 3 are over 60. A CDK construct's constructor counts like any other.
 */

const ROOT = new URL('../../', import.meta.url);
const EXCLUDED = /^(test|bench)\/|\.d\.ts$/;

interface FunctionLength {
  where: string;
  lines: number;
}

function sourceFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: ROOT, encoding: 'utf8' });
  return listed.split('\n').filter((path) => path.length > 0 && !EXCLUDED.test(path));
}

function nameOf(node: ts.Node): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name) return node.name.getText();
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent as ts.Node | undefined;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText();
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText();
  return '(anonymous)';
}

export function functionLengths(path: string): FunctionLength[] {
  const text = readFileSync(new URL(path, ROOT), 'utf8');
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found: FunctionLength[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ where: `${path}:${String(start + 1)} ${nameOf(node)}`, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('function length', () => {
  const all = sourceFiles()
    .flatMap(functionLengths)
    .sort((a, b) => b.lines - a.lines);

  it('finds the functions it measures (the rule cannot pass by measuring nothing)', () => {
    expect(all.length).toBeGreaterThan(300);
    expect(all.some((fn) => fn.where.includes('createInvoiceXpressClient'))).toBe(true);
  });

  it('no function over 80 lines, at most 3 over 60', () => {
    console.log(
      `longest functions: ${all
        .slice(0, 10)
        .map((fn) => `${fn.where} (${String(fn.lines)})`)
        .join('; ')}`,
    );
    expect(all.filter((fn) => fn.lines > 80)).toEqual([]);
    expect(all.filter((fn) => fn.lines > 60).length).toBeLessThanOrEqual(3);
  });
});
