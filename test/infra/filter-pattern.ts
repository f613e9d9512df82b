/**
 * Just enough of CloudWatch Logs' JSON filter-pattern language to run the stack's metric filters
 * against sample log lines: `{ ... }` with `$.a.b` selectors, `=`/`!=` on quoted strings (`*`
 * wildcard), numeric comparisons, `IS TRUE|FALSE|NULL`, `NOT EXISTS`, `&&`, `||` and parentheses.
 * Anything else throws, so a filter using more than this cannot pass unnoticed.
 */

type Token =
  | { kind: 'punct'; value: string }
  | { kind: 'selector'; value: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'word'; value: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(&&|\|\||!=|>=|<=|=|>|<|\(|\))|(\$(?:\.[A-Za-z0-9_]+)+)|"((?:[^"\\]|\\.)*)"|(-?\d+(?:\.\d+)?)|([A-Z]+))/y;
  let rest = source.trim();
  if (!rest.startsWith('{') || !rest.endsWith('}')) throw new Error(`not a JSON filter pattern: ${source}`);
  rest = rest.slice(1, -1);
  re.lastIndex = 0;
  while (re.lastIndex < rest.trimEnd().length) {
    const m = re.exec(rest);
    if (m === null) throw new Error(`cannot read filter pattern at "${rest.slice(re.lastIndex)}"`);
    if (m[1] !== undefined) tokens.push({ kind: 'punct', value: m[1] });
    else if (m[2] !== undefined) tokens.push({ kind: 'selector', value: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: 'string', value: m[3].replace(/\\(.)/g, '$1') });
    else if (m[4] !== undefined) tokens.push({ kind: 'number', value: Number(m[4]) });
    else if (m[5] !== undefined) tokens.push({ kind: 'word', value: m[5] });
  }
  return tokens;
}

export function select(event: unknown, selector: string): unknown {
  let value: unknown = event;
  for (const key of selector.slice(2).split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function wildcard(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(text);
}

/** Whether the filter pattern matches the (JSON) log event. */
export function matchesFilter(pattern: string, event: Record<string, unknown>): boolean {
  const tokens = tokenize(pattern);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const next = (): Token => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`unexpected end of ${pattern}`);
    return t;
  };
  const comparison = (): boolean => {
    const first = next();
    if (first.kind === 'punct' && first.value === '(') {
      const inner = or();
      const close = next();
      if (close.kind !== 'punct' || close.value !== ')') throw new Error(`missing ) in ${pattern}`);
      return inner;
    }
    if (first.kind !== 'selector') throw new Error(`expected a selector in ${pattern}`);
    const value = select(event, first.value);
    const op = next();
    if (op.kind === 'word' && op.value === 'IS') {
      const what = next().value;
      if (what === 'TRUE') return value === true;
      if (what === 'FALSE') return value === false;
      if (what === 'NULL') return value === null;
      throw new Error(`unsupported IS ${String(what)}`);
    }
    if (op.kind === 'word' && op.value === 'NOT') {
      if (next().value !== 'EXISTS') throw new Error('expected NOT EXISTS');
      return value === undefined;
    }
    if (op.kind !== 'punct') throw new Error(`expected an operator in ${pattern}`);
    const operand = next();
    if (operand.kind === 'string') {
      if (op.value !== '=' && op.value !== '!=') throw new Error(`string comparison ${op.value}`);
      const matched = (typeof value === 'string' || typeof value === 'number') && wildcard(operand.value, String(value));
      return op.value === '=' ? matched : value !== undefined && !matched;
    }
    if (operand.kind === 'number') {
      if (typeof value !== 'number') return false;
      switch (op.value) {
        case '=':
          return value === operand.value;
        case '!=':
          return value !== operand.value;
        case '>':
          return value > operand.value;
        case '>=':
          return value >= operand.value;
        case '<':
          return value < operand.value;
        case '<=':
          return value <= operand.value;
      }
    }
    throw new Error(`unsupported comparison in ${pattern}`);
  };
  const and = (): boolean => {
    let result = comparison();
    while (peek()?.value === '&&') {
      next();
      result = comparison() && result;
    }
    return result;
  };
  const or = (): boolean => {
    let result = and();
    while (peek()?.value === '||') {
      next();
      result = and() || result;
    }
    return result;
  };
  const result = or();
  if (i !== tokens.length) throw new Error(`unread input in ${pattern}`);
  return result;
}
