import { describe, expect, it } from 'vitest';
import { STAGES, StageConfigError, loadStageConfig, parseStageConfig, stageNames } from '../../infra/config.ts';

describe('infra/config.ts', () => {
  it('allows the InvoiceXpress timeout the functions allow (up to 28 s), and its default', () => {
    expect(parseStageConfig('demo', { invoiceXpressAccount: 'acme', ixTimeoutMs: 28_000 }).ixTimeoutMs).toBe(28_000);
    expect(() => parseStageConfig('demo', { invoiceXpressAccount: 'acme', ixTimeoutMs: 28_001 })).toThrow(/ixTimeoutMs/);
    expect(parseStageConfig('demo', { invoiceXpressAccount: 'acme' }).ixTimeoutMs).toBe(8_000);
    expect(parseStageConfig('demo', { invoiceXpressAccount: 'acme' }).serieTemplates).toEqual(['{year}', '{year}B', '{year}C']);
  });

  it('configures dev, staging and prod, and every configured stage is valid', () => {
    expect(stageNames()).toEqual(expect.arrayContaining(['dev', 'staging', 'prod']));
    for (const stage of stageNames()) expect(() => loadStageConfig(stage)).not.toThrow();
  });

  it('fills the documented defaults', () => {
    const config = parseStageConfig('demo', { invoiceXpressAccount: 'acme' });
    expect(config).toMatchObject({
      stage: 'demo',
      secret: { mode: 'create' },
      scheduleTimeZone: 'Europe/Lisbon',
      serieTemplates: ['{year}', '{year}B', '{year}C'],
      callers: [],
      invoiceXpressRequestsPerMinute: 100,
      invoiceXpressBudget: { burst: 20, rolloverReserve: 10 },
      alarms: { emails: [], topicArns: [], expectSubscription: false, api5xxRatePercent: 5, api5xxPeriods: 3, lockHeldSeconds: 240 },
      removalPolicy: 'destroy',
      manageApiGatewayLogsRole: true,
    });
    expect(config.account).toBeUndefined();
    expect(config.region).toBeUndefined();
  });

  it('retains prod resources and expects someone to hear its alarms', () => {
    expect(loadStageConfig('prod').removalPolicy).toBe('retain');
    expect(loadStageConfig('prod').alarms.expectSubscription).toBe(true);
    expect(STAGES['prod']).toBeDefined();
  });

  it('accepts callers by account or role, at one of the three levels', () => {
    const config = parseStageConfig('demo', {
      invoiceXpressAccount: 'acme',
      callers: [
        { principal: '111122223333', level: 'read' },
        { principal: 'arn:aws:iam::444455556666:role/svc', level: 'rollover' },
        { principal: 'o-a1b2c3d4e5', level: 'read' },
      ],
    });
    expect(config.callers.map((c) => c.level)).toEqual(['read', 'rollover', 'read']);
  });

  it('accepts admin callers, callers limited to accounts by name or prefix, and the worker settings (16 accounts at once, one per invocation by default)', () => {
    const config = parseStageConfig('demo', {
      invoiceXpressAccount: 'acme',
      callers: [
        { principal: '111122223333', level: 'admin' },
        { principal: 'arn:aws:iam::444455556666:role/svc', level: 'write', accounts: ['acme', 'bob-*', '*'] },
      ],
    });
    expect(config.callers[1]?.accounts).toEqual(['acme', 'bob-*', '*']);
    expect(config.rolloverWorker).toEqual({ maxConcurrency: 16, batchSize: 1 });
    expect(parseStageConfig('demo', { invoiceXpressAccount: 'acme', rolloverWorker: { maxConcurrency: 1000, batchSize: 10 } }).rolloverWorker).toEqual({
      maxConcurrency: 1000,
      batchSize: 10,
    });
  });

  it.each([
    ['an unknown time zone', { scheduleTimeZone: 'Europe/Atlantis' }, /scheduleTimeZone/],
    ['a serie template without {year}', { serieTemplates: ['2027'] }, /serieTemplates\.0/],
    ['a serie template with a comma', { serieTemplates: ['{year},X'] }, /comma/],
    ['a serie name AT would refuse', { serieTemplates: ['AT{year}'] }, /must not start with "AT"/],
    ['duplicate serie templates', { serieTemplates: ['{year}', '{year}'] }, /differ/],
    [
      'families whose names can collide',
      {
        serieFamilies: [
          { name: 'a', templates: ['{year}'] },
          { name: 'b', templates: ['20{yy}'] },
        ],
      },
      /can give the same serie name/,
    ],
    [
      'two default families',
      {
        serieFamilies: [
          { name: 'a', templates: ['A{year}'], default: true },
          { name: 'b', templates: ['B{year}'], default: true },
        ],
      },
      /at most one/,
    ],
    ['a family template AT would refuse', { serieFamilies: [{ name: 'a', templates: ['AT{yy}'] }] }, /must not start with "AT"/],
    ['both serieTemplates and serieFamilies', { serieTemplates: ['{year}'], serieFamilies: [{ name: 'a', templates: ['A{year}'] }] }, /not both/],
    ['an unsupported log retention', { logRetentionDays: 10 }, /logRetentionDays/],
    ['a caller that is an IAM user', { callers: [{ principal: 'arn:aws:iam::123456789012:user/x', level: 'read' }] }, /callers\.0\.principal/],
    ['a caller with an unknown level', { callers: [{ principal: '123456789012', level: 'owner' }] }, /callers\.0\.level/],
    [
      'an admin caller limited to some accounts',
      { callers: [{ principal: '123456789012', level: 'admin', accounts: ['acme'] }] },
      /callers\.0\.accounts.*cannot be admin/,
    ],
    [
      'an account pattern with a * not at its end',
      { callers: [{ principal: '123456789012', level: 'read', accounts: ['*-eu'] }] },
      /callers\.0\.accounts\.0.*stands last/,
    ],
    ['an account name in capitals', { callers: [{ principal: '123456789012', level: 'read', accounts: ['Acme'] }] }, /callers\.0\.accounts\.0/],
    ['an empty list of accounts', { callers: [{ principal: '123456789012', level: 'read', accounts: [] }] }, /callers\.0\.accounts/],
    ['a worker concurrency under the event source minimum', { rolloverWorker: { maxConcurrency: 1 } }, /rolloverWorker\.maxConcurrency/],
    ['a worker batch over SQS maximum', { rolloverWorker: { batchSize: 11 } }, /rolloverWorker\.batchSize/],
    [
      'a caller listed twice',
      {
        callers: [
          { principal: '123456789012', level: 'read' },
          { principal: '123456789012', level: 'write' },
        ],
      },
      /callers\.1\.principal.*listed twice/,
    ],
    ['the old allowedPrincipals field', { allowedPrincipals: ['123456789012'] }, /allowedPrincipals/],
    ['a bad e-mail', { alarms: { emails: ['ops'] } }, /alarms\.emails\.0/],
    ['a topic that is not an SNS ARN', { alarms: { topicArns: ['arn:aws:sqs:eu-west-1:123456789012:q'] } }, /alarms\.topicArns\.0/],
    ['a 5XX alarm on a single period', { alarms: { api5xxPeriods: 1 } }, /alarms\.api5xxPeriods/],
    ['no InvoiceXpress allowance', { invoiceXpressRequestsPerMinute: 0 }, /invoiceXpressRequestsPerMinute/],
    ['a rollover reserve as large as the burst', { invoiceXpressBudget: { burst: 10, rolloverReserve: 10 } }, /invoiceXpressBudget/],
    ['a burst as large as the allowance', { invoiceXpressRequestsPerMinute: 20, invoiceXpressBudget: { burst: 20 } }, /invoiceXpressBudget/],
    ['an unknown field', { retention: 14 }, /retention/],
    ['an import without a name', { secret: { mode: 'import' } }, /secret\.name/],
    ['no InvoiceXpress account', { invoiceXpressAccount: undefined }, /invoiceXpressAccount/],
    ['an account name that is not a host label', { invoiceXpressAccount: 'acme.app' }, /invoiceXpressAccount/],
    ['a break-glass principal that is not a role', { breakGlassRoleArn: 'arn:aws:iam::123456789012:user/ops' }, /breakGlassRoleArn/],
    ['a malformed organization id', { callers: [{ principal: 'o-short', level: 'read' }] }, /callers\.0\.principal/],
  ])('rejects %s, naming the field', (_label, raw, message) => {
    const entry = { invoiceXpressAccount: 'acme', ...raw } as never;
    expect(() => parseStageConfig('demo', entry)).toThrow(StageConfigError);
    expect(() => parseStageConfig('demo', entry)).toThrow(message);
  });

  it('rejects stage names that cannot be part of resource names', () => {
    expect(() => parseStageConfig('Prod_EU', { invoiceXpressAccount: 'acme' })).toThrow(/Invalid stage name/);
    expect(() => loadStageConfig('nope')).toThrow(/Unknown stage "nope"/);
    expect(() => loadStageConfig('toString')).toThrow(/Unknown stage/);
  });
});
