import { describe, expect, it } from 'vitest';
import { ConfigurationError, parseEnv } from '../../shared/runtime/env.ts';
import { RolloverEnvSchema, RolloverSettingsSchema, serieNameProblem, serieNames } from '../../shared/rollover/settings.ts';

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
