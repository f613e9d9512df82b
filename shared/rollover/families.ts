import * as z from '../zod.ts';

/**
 * Families of series: an account runs several series side by side (one per establishment or point
 * of sale, a web shop's, B2B's), each rolled over every year. A family is an ordered list of name
 * templates (the first the normal name, the rest its fallbacks when AT refuses a name); at most one
 * family is the default one, whose serie the rollover makes the account's default.
 */
export interface SerieFamily {
  name: string;
  templates: readonly string[];
  default: boolean;
}

/** The one family SERIE_TEMPLATES describes (today's configurations): "main", the default. */
export function singleFamily(templates: readonly string[]): SerieFamily[] {
  return [{ name: 'main', templates, default: true }];
}

/** The order a run works in: the default family first (its switch matters most at 00:00), then the others as configured. */
export function runOrder(families: readonly SerieFamily[]): SerieFamily[] {
  return [...families.filter((family) => family.default), ...families.filter((family) => !family.default)];
}

/** A template as the names it can give: one symbol per character, `#` for any digit. */
function shapeOf(template: string): string {
  return template.replaceAll('{year}', '2###').replaceAll('{yy}', '##').toUpperCase();
}

/**
 * True when the two templates can give the same serie name, for any years (the same or not) and
 * in any letter case (InvoiceXpress may compare names case-insensitively). Conservative: a
 * template using {year} and {yy} together is treated as if they could name different years.
 */
export function templatesCanCollide(a: string, b: string): boolean {
  const [left, right] = [shapeOf(a), shapeOf(b)];
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index++) {
    const [x, y] = [left[index] ?? '', right[index] ?? ''];
    if (x === y) continue;
    const digitOrAny = (symbol: string): boolean => symbol === '#' || /\d/.test(symbol);
    if (!((x === '#' && digitOrAny(y)) || (y === '#' && digitOrAny(x)))) return false;
  }
  return true;
}

/** Pairs of families whose names can collide (templatesCanCollide), as messages. */
export function familyCollisions(families: readonly Pick<SerieFamily, 'name' | 'templates'>[]): string[] {
  const problems: string[] = [];
  families.forEach((family, index) => {
    for (const other of families.slice(index + 1)) {
      const pair = family.templates.flatMap((a) => other.templates.filter((b) => templatesCanCollide(a, b)).map((b) => `"${a}" and "${b}"`));
      if (pair.length > 0) problems.push(`families "${family.name}" and "${other.name}" can give the same serie name (${pair.join(', ')})`);
    }
  });
  return problems;
}

/** What is wrong with the families as a whole (each template is checked on its own). */
export function familiesProblems(families: readonly Pick<SerieFamily, 'name' | 'templates' | 'default'>[]): string[] {
  const names = families.map((family) => family.name.toLowerCase());
  return [
    ...(families.length === 0 ? ['at least one family'] : []),
    ...(families.length > 10 ? ['at most 10 families'] : []),
    ...(new Set(names).size === names.length ? [] : ['family names must differ']),
    ...(families.filter((family) => family.default).length > 1 ? ['at most one family is the default'] : []),
    ...familyCollisions(families),
  ];
}

export const FamilyNameSchema = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i, 'must be 1-32 letters, digits, - or _, starting with a letter or digit'));
