import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { secretsManagerAccountSecrets } from '../../shared/accounts/secrets.ts';
import type { StageConfigInput } from '../../infra/config.ts';
import { ACCOUNT_SECRET_TAG } from '../../infra/constructs/account-secrets.ts';
import { readsAccountSecrets } from '../../infra/constructs/function-specs.ts';
import { FUNCTION_SPECS } from '../../infra/ix-sequences-stack.ts';
import { STAGES_UNDER_TEST, asArray, flatten, functionLogicalId, props, refTarget, resourcesOfType, synthStage } from './support.ts';
import type { CfnTemplate, PolicyStatementJson } from './support.ts';

/**
 * The registered accounts' secrets (`ix-sequences/<stage>/accounts/<account>`), evaluated on the
 * template: reading one needs secretsmanager:GetSecretValue on its ARN (identity policy, whose
 * resource may hold wildcards) and kms:Decrypt on the accounts' key, which the key policy denies to
 * every principal it does not name. Writing needs the admin functions' own grants.
 */

const BREAK_GLASS = 'arn:aws:iam::123456789012:role/ix-break-glass';
const ADMIN = 'arn:aws:iam::123456789012:role/Administrator';
const ADMIN_IDENTITY: PolicyStatementJson[] = [{ Effect: 'Allow', Action: '*', Resource: '*' }];
const STAGES: Record<string, StageConfigInput> = { guarded: { invoiceXpressAccount: 'acme', breakGlassRoleArn: BREAK_GLASS } };
const WRITES = [
  'secretsmanager:CreateSecret',
  'secretsmanager:PutSecretValue',
  'secretsmanager:RestoreSecret',
  'secretsmanager:DeleteSecret',
  'secretsmanager:TagResource',
];

/** IAM matching: `*` any run of characters, `?` one (actions case-insensitively). */
function iamMatches(pattern: string, text: string, flags = ''): boolean {
  const expression = pattern
    .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${expression}$`, flags).test(text);
}

/** The ARN of a registered account's secret (as Secrets Manager names it: with its 6-character suffix). */
const secretArn = (stage: string, account: string): string =>
  `arn:<Ref:AWS::Partition>:secretsmanager:<Ref:AWS::Region>:<Ref:AWS::AccountId>:secret:ix-sequences/${stage}/accounts/${account}-AbC123`;

/** Statements of `identity` that allow `action` on `resource` (an explicit Deny among them wins). */
function allowing(identity: readonly PolicyStatementJson[], action: string, resource: string): PolicyStatementJson[] {
  const hits = identity.filter(
    (st) =>
      asArray(st.Action).some((a) => iamMatches(a, action, 'i')) &&
      asArray(st.Resource).some((r) => iamMatches(typeof r === 'string' ? r : flatten(r), resource)),
  );
  return hits.some((st) => st.Effect === 'Deny') ? [] : hits.filter((st) => st.Effect === 'Allow');
}

/** Every role of the template with the statements of its policies (attached and inline). */
function roles(json: CfnTemplate): Map<string, PolicyStatementJson[]> {
  const out = new Map<string, PolicyStatementJson[]>();
  for (const [roleId, role] of resourcesOfType(json, 'AWS::IAM::Role')) {
    const attached = resourcesOfType(json, 'AWS::IAM::Policy')
      .filter(([, p]) => asArray(props<{ Roles?: unknown[] }>(p).Roles).some((r) => refTarget(r) === roleId))
      .flatMap(([, p]) => props<{ PolicyDocument: { Statement: PolicyStatementJson[] } }>(p).PolicyDocument.Statement);
    const inline = (props<{ Policies?: { PolicyDocument: { Statement: PolicyStatementJson[] } }[] }>(role).Policies ?? []).flatMap(
      (p) => p.PolicyDocument.Statement,
    );
    out.set(roleId, [...attached, ...inline]);
  }
  return out;
}

function roleOf(json: CfnTemplate, entry: string, stage: string): string {
  return refTarget(props(json.Resources[functionLogicalId(json, `ix-sequences-${stage}-${entry}`)]!)['Role'])!;
}

/** The accounts' key: the one the admin writers pass to CreateSecret. */
function accountKey(json: CfnTemplate, stage: string): { id: string; policy: PolicyStatementJson[] } {
  const fnId = functionLogicalId(json, `ix-sequences-${stage}-account-put`);
  const keyRef = props<{ Environment: { Variables: Record<string, unknown> } }>(json.Resources[fnId]!).Environment.Variables['ACCOUNT_SECRETS_KMS_KEY_ID'];
  const id = refTarget(keyRef)!;
  return { id, policy: props<{ KeyPolicy: { Statement: PolicyStatementJson[] } }>(json.Resources[id]!).KeyPolicy.Statement };
}

/** The key policy lets `principalArn` decrypt: no Deny naming it, and the account root's delegation to an identity that allows it. */
function keyLetsDecrypt(policy: readonly PolicyStatementJson[], keyArn: string, principalArn: string, identity: readonly PolicyStatementJson[]): boolean {
  for (const st of policy.filter((s) => s.Effect === 'Deny' && asArray(s.Action).includes('kms:Decrypt'))) {
    const excepted = asArray(st.Condition?.['ArnNotEquals']?.['aws:PrincipalArn']).map(flatten);
    expect(Object.keys(st.Condition ?? {})).toEqual(['ArnNotEquals']);
    if (!excepted.includes(principalArn)) return false;
  }
  return allowing(identity, 'kms:Decrypt', keyArn).length > 0;
}

describe.each(STAGES_UNDER_TEST)("the registered accounts' secrets (stage %s)", (stage) => {
  let json: CfnTemplate;
  let all: Map<string, PolicyStatementJson[]>;
  beforeAll(() => {
    json = synthStage(stage).json;
    all = roles(json);
  });

  it("are read (GetSecretValue and the key) by exactly the functions that call InvoiceXpress for registered accounts, under this stage's path only", () => {
    const { id: keyId, policy } = accountKey(json, stage);
    const keyArn = `<GetAtt:${keyId}.Arn>`;
    const readers = [...all]
      .filter(
        ([roleId, identity]) =>
          allowing(identity, 'secretsmanager:GetSecretValue', secretArn(stage, 'acme')).length > 0 &&
          keyLetsDecrypt(policy, keyArn, `<GetAtt:${roleId}.Arn>`, identity),
      )
      .map(([roleId]) => roleId)
      .sort();
    const expected = FUNCTION_SPECS.filter(readsAccountSecrets).map((spec) => roleOf(json, spec.entry, stage));
    expect(readers).toEqual(expected.sort());
    expect(FUNCTION_SPECS.filter(readsAccountSecrets).map((spec) => spec.entry)).toEqual(
      expect.arrayContaining(['list-sequences', 'register-sequence', 'rollover-run', 'rollover-status', 'rollover-worker']),
    );
    // Never the registry's readers, the dispatchers, the overview, the run records, the notifications nor the default account's schedule.
    for (const entry of [
      'account-get',
      'accounts-list',
      'account-put',
      'account-delete',
      'rollover-dispatch',
      'rollover-dispatcher',
      'rollover-accounts',
      'rollover-run-record',
      'rollover-scheduled',
      'notification-delivery',
    ]) {
      expect(allowing(all.get(roleOf(json, entry, stage))!, 'secretsmanager:GetSecretValue', secretArn(stage, 'acme')), entry).toEqual([]);
    }
    // Another stage's accounts, and this stage's other secrets, are out of reach of the path.
    for (const other of [
      secretArn(`${stage}2`, 'acme'),
      secretArn('other', 'acme'),
      `arn:<Ref:AWS::Partition>:secretsmanager:<Ref:AWS::Region>:<Ref:AWS::AccountId>:secret:ix-sequences/${stage}/webhooks-AbC123`,
    ]) {
      expect(allowing(all.get(roleOf(json, 'rollover-worker', stage))!, 'secretsmanager:GetSecretValue', other), other).toEqual([]);
    }
    // An administrator whose IAM policy allows everything still cannot decrypt.
    expect(keyLetsDecrypt(policy, keyArn, ADMIN, ADMIN_IDENTITY)).toBe(false);
  });

  it('are written only by the admin functions: account-put creates, re-keys and restores them, account-delete schedules their deletion', () => {
    const writers = (action: string): string[] =>
      [...all]
        .filter(([, identity]) => allowing(identity, action, secretArn(stage, 'acme')).length > 0)
        .map(([roleId]) => roleId)
        .sort();
    const put = roleOf(json, 'account-put', stage);
    const remove = roleOf(json, 'account-delete', stage);
    for (const action of WRITES) expect(writers(action), action).toEqual([action === 'secretsmanager:DeleteSecret' ? remove : put]);
    // Neither reads a value back.
    for (const roleId of [put, remove]) expect(allowing(all.get(roleId)!, 'secretsmanager:GetSecretValue', secretArn(stage, 'acme'))).toEqual([]);
    // No role may write any other secret.
    for (const [roleId, identity] of all) {
      const writes = identity.filter((st) => asArray(st.Action).some((a) => WRITES.includes(a)));
      for (const st of writes) expect(asArray(st.Resource).map(flatten), roleId).toEqual([secretArn(stage, '*').replace('*-AbC123', '*')]);
    }
  });

  it('a created secret must be under the accounts key, named under the path and tagged with its account only; a deletion keeps a recovery window', () => {
    const identity = all.get(roleOf(json, 'account-put', stage))!;
    const [create] = allowing(identity, 'secretsmanager:CreateSecret', secretArn(stage, 'acme'));
    const { id: keyId } = accountKey(json, stage);
    expect(create!.Condition).toEqual({
      'ForAllValues:StringEquals': { 'aws:TagKeys': [ACCOUNT_SECRET_TAG] },
      StringLike: { 'secretsmanager:Name': `ix-sequences/${stage}/accounts/*` },
      StringEquals: { 'secretsmanager:KmsKeyId': { 'Fn::GetAtt': [keyId, 'Arn'] } },
      Null: { [`aws:RequestTag/${ACCOUNT_SECRET_TAG}`]: 'false' },
    });
    const [tag] = allowing(identity, 'secretsmanager:TagResource', secretArn(stage, 'acme'));
    expect(tag!.Condition).toEqual({ 'ForAllValues:StringEquals': { 'aws:TagKeys': [ACCOUNT_SECRET_TAG] } });
    // Secrets Manager generates the data key (and decrypts it) for the writer, never the writer directly.
    const keyCalls = identity.filter((st) => asArray(st.Action).some((a) => a.startsWith('kms:')));
    expect(keyCalls).toEqual([expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } })]);
    expect(flatten(keyCalls[0]!.Condition!['StringEquals']!['kms:ViaService'])).toBe('secretsmanager.<Ref:AWS::Region>.amazonaws.com');
    const [deletion] = allowing(all.get(roleOf(json, 'account-delete', stage))!, 'secretsmanager:DeleteSecret', secretArn(stage, 'acme'));
    expect(deletion!.Condition).toEqual({ NumericGreaterThanEquals: { 'secretsmanager:RecoveryWindowInDays': '7' } });
    expect(all.get(roleOf(json, 'account-delete', stage))!.some((st) => asArray(st.Action).some((a) => a.startsWith('kms:')))).toBe(false);
  });

  it("keeps the account administering the accounts' key, rotates it, and denies only decrypting to all but the readers and the writer", () => {
    const { id: keyId, policy } = accountKey(json, stage);
    expect(props(json.Resources[keyId]!)['EnableKeyRotation']).toBe(true);
    const root = policy.find((st) => st.Action === 'kms:*')!;
    expect(flatten((root.Principal as { AWS: unknown }).AWS)).toBe('arn:<Ref:AWS::Partition>:iam::<Ref:AWS::AccountId>:root');
    const denies = policy.filter((st) => st.Effect === 'Deny');
    expect(denies).toHaveLength(1);
    expect(asArray(denies[0]!.Action).sort()).toEqual(['kms:Decrypt', 'kms:ReEncryptFrom']);
    const excepted = asArray(denies[0]!.Condition?.['ArnNotEquals']?.['aws:PrincipalArn'])
      .map((arn) => refTarget(arn))
      .sort();
    const expected = [...FUNCTION_SPECS.filter(readsAccountSecrets).map((spec) => roleOf(json, spec.entry, stage)), roleOf(json, 'account-put', stage)].sort();
    expect(excepted).toEqual(expected);
  });
});

describe("the break-glass role and the accounts' key", () => {
  it('may decrypt the accounts secrets once its own IAM policy allows it', () => {
    const { json } = synthStage('guarded', { stages: STAGES });
    const { id: keyId, policy } = accountKey(json, 'guarded');
    const keyArn = `<GetAtt:${keyId}.Arn>`;
    const identity: PolicyStatementJson[] = [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn }];
    expect(keyLetsDecrypt(policy, keyArn, BREAK_GLASS, identity)).toBe(true);
    expect(keyLetsDecrypt(policy, keyArn, BREAK_GLASS, [])).toBe(false);
    expect(keyLetsDecrypt(policy, keyArn, ADMIN, ADMIN_IDENTITY)).toBe(false);
  });
});

describe("the admin functions' calls meet the grants' conditions (shared/accounts/secrets.ts)", () => {
  it('CreateSecret names the path, passes the key as given and tags the account; DeleteSecret keeps 7 days', async () => {
    const mock = mockClient(SecretsManagerClient);
    mock.on(CreateSecretCommand).resolves({});
    mock.on(PutSecretValueCommand).resolves({});
    mock.on(DeleteSecretCommand).resolves({ DeletionDate: new Date('2027-01-08T00:00:00Z') });
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const secrets = secretsManagerAccountSecrets({ stage: 'prod', kmsKeyId: keyArn, client: new SecretsManagerClient({ region: 'eu-west-1' }) });
    await secrets.save('acme', { accountName: 'acme', apiKey: 'k' });
    await secrets.scheduleDeletion('acme');
    const create = mock.commandCalls(CreateSecretCommand)[0]!.args[0].input;
    expect(iamMatches('ix-sequences/prod/accounts/*', create.Name!)).toBe(true);
    expect(create.KmsKeyId).toBe(keyArn);
    expect(create.Tags?.map((tag) => tag.Key)).toEqual([ACCOUNT_SECRET_TAG]);
    expect(mock.commandCalls(DeleteSecretCommand)[0]!.args[0].input.RecoveryWindowInDays).toBeGreaterThanOrEqual(7);
    mock.restore();
  });
});
