import { describe, expect, it } from 'vitest';
import { STAGES, StageConfigError, loadStageConfig, parseStageConfig, stageNames } from '../../infra/config.ts';

describe('infra/config.ts', () => {
  it('configures dev, staging and prod, and every configured stage is valid', () => {
    expect(stageNames()).toEqual(expect.arrayContaining(['dev', 'staging', 'prod']));
    for (const stage of stageNames()) expect(() => loadStageConfig(stage)).not.toThrow();
  });

  it('fills the documented defaults', () => {
    const config = parseStageConfig('demo', {});
    expect(config).toMatchObject({
      stage: 'demo',
      secret: { mode: 'create' },
      scheduleTimeZone: 'Europe/Lisbon',
      serieTemplates: ['{year}', '{year}B', '{year}C'],
      allowedPrincipals: [],
      removalPolicy: 'destroy',
      manageApiGatewayLogsRole: true,
    });
    expect(config.account).toBeUndefined();
    expect(config.region).toBeUndefined();
    expect(config.alarmEmail).toBeUndefined();
  });

  it('retains prod resources', () => {
    expect(loadStageConfig('prod').removalPolicy).toBe('retain');
    expect(STAGES['prod']).toBeDefined();
  });

  it.each([
    ['an unknown time zone', { scheduleTimeZone: 'Europe/Atlantis' }, /scheduleTimeZone/],
    ['a serie template without {year}', { serieTemplates: ['2027'] }, /serieTemplates\.0/],
    ['a serie template with a comma', { serieTemplates: ['{year},X'] }, /comma/],
    ['a serie name AT would refuse', { serieTemplates: ['AT{year}'] }, /must not start with "AT"/],
    ['duplicate serie templates', { serieTemplates: ['{year}', '{year}'] }, /differ/],
    ['an unsupported log retention', { logRetentionDays: 10 }, /logRetentionDays/],
    ['a malformed caller', { allowedPrincipals: ['arn:aws:iam::123:user/x'] }, /allowedPrincipals\.0/],
    ['a bad e-mail', { alarmEmail: 'ops' }, /alarmEmail/],
    ['an unknown field', { retention: 14 }, /retention/],
    ['an import without a name', { secret: { mode: 'import' } }, /secret\.name/],
  ])('rejects %s, naming the field', (_label, raw, message) => {
    expect(() => parseStageConfig('demo', raw as never)).toThrow(StageConfigError);
    expect(() => parseStageConfig('demo', raw as never)).toThrow(message);
  });

  it('rejects stage names that cannot be part of resource names', () => {
    expect(() => parseStageConfig('Prod_EU', {})).toThrow(/Invalid stage name/);
    expect(() => loadStageConfig('nope')).toThrow(/Unknown stage "nope"/);
    expect(() => loadStageConfig('toString')).toThrow(/Unknown stage/);
  });
});
