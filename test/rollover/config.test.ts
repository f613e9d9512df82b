import { describe, expect, it } from 'vitest';
import { ConfigurationError, parseEnv } from '../../shared/runtime/env.ts';
import { familiesOf, RolloverEnvSchema, RolloverSettingsSchema, serieNameProblem, serieNames } from '../../shared/rollover/settings.ts';

const base = { IX_SECRET_ID: 'ix/test', ROLLOVER_TABLE_NAME: 'ix-sequences-test-runs', IX_ACCOUNT_NAME: 'acme' };

describe('RolloverEnvSchema', () => {
  it('defaults: {year},{year}B,{year}C in Europe/Lisbon', () => {
    const env = parseEnv(RolloverEnvSchema, base);
    expect(env.SERIE_TEMPLATES).toEqual(['{year}', '{year}B', '{year}C']);
    expect(env.ROLLOVER_TIME_ZONE).toBe('Europe/Lisbon');
    expect(env.IX_SECRET_ID).toBe('ix/test');
    expect(env.ROLLOVER_TABLE_NAME).toBe('ix-sequences-test-runs');
  });

  it("requires the account's name from configuration, a host label", () => {
    expect(() => parseEnv(RolloverEnvSchema, { ...base, IX_ACCOUNT_NAME: undefined })).toThrow(/IX_ACCOUNT_NAME/);
    expect(() => parseEnv(RolloverEnvSchema, { ...base, IX_ACCOUNT_NAME: 'acme.app.invoicexpress.com' })).toThrow(/IX_ACCOUNT_NAME/);
  });

  it('requires the run table, by name', () => {
    expect(() => parseEnv(RolloverEnvSchema, { IX_SECRET_ID: 'ix/test', IX_ACCOUNT_NAME: 'acme' })).toThrow(/ROLLOVER_TABLE_NAME/);
    expect(() => parseEnv(RolloverEnvSchema, { ...base, ROLLOVER_TABLE_NAME: 'a b' })).toThrow(/ROLLOVER_TABLE_NAME/);
  });

  it('reads a custom list, trimming spaces', () => {
    const env = parseEnv(RolloverEnvSchema, { ...base, SERIE_TEMPLATES: ' FT{year} , FT{year}-2,A/{year}_x ', ROLLOVER_TIME_ZONE: 'Atlantic/Azores' });
    expect(env.SERIE_TEMPLATES).toEqual(['FT{year}', 'FT{year}-2', 'A/{year}_x']);
    expect(env.ROLLOVER_TIME_ZONE).toBe('Atlantic/Azores');
  });

  it.each([
    ['missing {year}', '2027'],
    ['an empty entry', '{year},'],
    ['a space', '{year} B'],
    ['a special character', '{year}.B'],
    ['starting with AT', 'AT{year}'],
    ['starting with at (any case)', 'at{year}'],
    ['another placeholder', '{year}{month}'],
    ['a name longer than 35 characters', `${'X'.repeat(32)}{year}`],
    ['duplicates', '{year},{year}'],
    ['starting with a separator', '-{year}'],
  ])('refuses templates with %s, naming the variable', (_why, value) => {
    expect(() => parseEnv(RolloverEnvSchema, { ...base, SERIE_TEMPLATES: value })).toThrow(ConfigurationError);
    expect(() => parseEnv(RolloverEnvSchema, { ...base, SERIE_TEMPLATES: value })).toThrow(/SERIE_TEMPLATES/);
  });

  it('accepts a name of exactly 35 characters', () => {
    const template = `${'X'.repeat(31)}{year}`;
    expect(parseEnv(RolloverSettingsSchema, { SERIE_TEMPLATES: template }).SERIE_TEMPLATES).toEqual([template]);
  });

  it('refuses an unknown time zone, naming the variable', () => {
    expect(() => parseEnv(RolloverEnvSchema, { ...base, ROLLOVER_TIME_ZONE: 'Europe/Nowhere' })).toThrow(/ROLLOVER_TIME_ZONE/);
  });

  it('still requires the base variables', () => {
    expect(() => parseEnv(RolloverEnvSchema, {})).toThrow(/IX_SECRET_ID/);
  });
});

describe('serieNames', () => {
  it('fills every template in order', () => {
    expect(serieNames(['{year}', '{year}B', 'S{year}-{year}'], 2027)).toEqual(['2027', '2027B', 'S2027-2027']);
  });
});

describe('serieNameProblem', () => {
  it.each(['2027', '2027B', 'FT-2027/1', 'a_2027'])('accepts %s', (name) => {
    expect(serieNameProblem(name)).toBeUndefined();
  });
  it.each(['', 'AT2027', '2027 B', 'é2027', 'x'.repeat(36)])('refuses %j', (name) => {
    expect(serieNameProblem(name)).toBeDefined();
  });
});

describe('SERIE_FAMILIES', () => {
  const WORKED_EXAMPLE = [
    { name: 'main', templates: ['{year}', '{year}B', '{year}C'], default: true },
    { name: 'store1', templates: ['LJ1-{yy}', 'LJ1-{yy}B'] },
    { name: 'store2', templates: ['LJ2-{yy}', 'LJ2-{yy}B'] },
    { name: 'web', templates: ['WEB{year}', 'WEB{year}B'] },
  ];

  it('without it, SERIE_TEMPLATES is the one default family "main"', () => {
    expect(familiesOf(parseEnv(RolloverEnvSchema, base))).toEqual([{ name: 'main', templates: ['{year}', '{year}B', '{year}C'], default: true }]);
    expect(familiesOf(parseEnv(RolloverEnvSchema, { ...base, SERIE_TEMPLATES: 'FT{year}' }))).toEqual([
      { name: 'main', templates: ['FT{year}'], default: true },
    ]);
  });

  it("reads docs/rollover.md's worked example (two stores and a web shop), {yy} the two-digit year", () => {
    const families = familiesOf(parseEnv(RolloverEnvSchema, { ...base, SERIE_FAMILIES: JSON.stringify(WORKED_EXAMPLE) }));
    expect(families.map((family) => [family.name, family.default, serieNames(family.templates, 2027)])).toEqual([
      ['main', true, ['2027', '2027B', '2027C']],
      ['store1', false, ['LJ1-27', 'LJ1-27B']],
      ['store2', false, ['LJ2-27', 'LJ2-27B']],
      ['web', false, ['WEB2027', 'WEB2027B']],
    ]);
    expect(serieNames(['B2B{yy}'], 2005)).toEqual(['B2B05']);
  });

  it.each([
    ['not JSON', 'main:{year}'],
    ['no family', '[]'],
    [
      'two defaults',
      JSON.stringify([
        { name: 'a', templates: ['A{year}'], default: true },
        { name: 'b', templates: ['B{year}'], default: true },
      ]),
    ],
    [
      'the same name twice',
      JSON.stringify([
        { name: 'a', templates: ['A{year}'] },
        { name: 'A', templates: ['B{year}'] },
      ]),
    ],
    [
      'names that can collide',
      JSON.stringify([
        { name: 'a', templates: ['{year}'] },
        { name: 'b', templates: ['20{yy}'] },
      ]),
    ],
    ['a family name with a space', JSON.stringify([{ name: 'web shop', templates: ['W{year}'] }])],
    ['a template without a year', JSON.stringify([{ name: 'a', templates: ['WEB'] }])],
    ['a serie name starting with AT', JSON.stringify([{ name: 'a', templates: ['AT{yy}'] }])],
    ['a serie name longer than 35 characters', JSON.stringify([{ name: 'a', templates: [`${'X'.repeat(34)}{yy}`] }])],
    ['an unknown field', JSON.stringify([{ name: 'a', templates: ['A{year}'], fallbacks: [] }])],
  ])('refuses %s, naming the variable', (_why, value) => {
    expect(() => parseEnv(RolloverEnvSchema, { ...base, SERIE_FAMILIES: value })).toThrow(/SERIE_FAMILIES/);
  });
});
