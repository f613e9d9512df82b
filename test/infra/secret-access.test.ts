import { describe, expect, it } from 'vitest';
import type { StageConfigInput } from '../../infra/config.ts';
import { readsStageSecret } from '../../infra/constructs/function-specs.ts';
import { FUNCTION_SPECS } from '../../infra/ix-sequences-stack.ts';
import { STAGES_UNDER_TEST, asArray, flatten, functionLogicalId, props, refTarget, resourcesOfType, synthStage } from './support.ts';
import type { CfnResource, CfnTemplate, PolicyStatementJson } from './support.ts';

/**
 * Who can read the InvoiceXpress key, evaluated on the template: reading the secret needs
 * secretsmanager:GetSecretValue on it (identity policy) and kms:Decrypt on its key (the key policy
 * either names the principal or delegates to the account's IAM policies), with no Deny in the
 * key policy matching the principal. A principal is its role ARN, as aws:PrincipalArn carries it.
 */

const BREAK_GLASS = 'arn:aws:iam::123456789012:role/ix-break-glass';
const ADMIN = 'arn:aws:iam::123456789012:role/Administrator';
const STAGES: Record<string, StageConfigInput> = { guarded: { invoiceXpressAccount: 'acme', breakGlassRoleArn: BREAK_GLASS } };

interface Principal {
  /** Role ARN; template roles as `<GetAtt:Id.Arn>`. */
  readonly arn: string;
  /** The principal's own IAM statements (an administrator: Allow * on *). */
  readonly identity: readonly PolicyStatementJson[];
}

const ADMIN_IDENTITY: PolicyStatementJson[] = [{ Effect: 'Allow', Action: '*', Resource: '*' }];

function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return re.test(action);
}

function allows(statements: readonly PolicyStatementJson[], action: string, resource: string): boolean {
  const matching = statements.filter((s) => asArray(s.Action).some((a) => actionMatches(a, action)));
  const hit = (s: PolicyStatementJson): boolean => asArray(s.Resource).some((r) => r === '*' || flatten(r) === resource);
  return matching.some((s) => s.Effect === 'Allow' && hit(s)) && !matching.some((s) => s.Effect === 'Deny' && hit(s));
}

/** Conditions on aws:PrincipalArn only (what these key policies use); any other key fails the test. */
function conditionsHold(condition: PolicyStatementJson['Condition'], principalArn: string): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, raw] of Object.entries(keys)) {
      if (key === 'kms:ViaService') continue; // every read goes through Secrets Manager
      expect(key).toBe('aws:PrincipalArn');
      const values = asArray(raw).map(flatten);
      const equal = values.includes(principalArn);
      if (operator === 'ArnEquals' && !equal) return false;
      if (operator === 'ArnNotEquals' && equal) return false;
      if (!['ArnEquals', 'ArnNotEquals'].includes(operator)) throw new Error(`unexpected operator ${operator}`);
    }
  }
  return true;
}

function principalNamed(statement: PolicyStatementJson, arn: string): 'named' | 'account' | 'any' | undefined {
  const aws = asArray((statement.Principal as { AWS?: unknown } | undefined)?.AWS).map(flatten);
  if (aws.includes('*')) return 'any';
  if (aws.includes(arn)) return 'named';
  if (aws.some((p) => /:iam::.+:root$/.test(p))) return 'account';
  return undefined;
}

function canDecrypt(keyPolicy: readonly PolicyStatementJson[], keyArn: string, who: Principal): boolean {
  const decrypt = keyPolicy.filter((s) => asArray(s.Action).some((a) => actionMatches(a, 'kms:Decrypt')) && conditionsHold(s.Condition, who.arn));
  if (decrypt.some((s) => s.Effect === 'Deny' && principalNamed(s, who.arn) !== undefined)) return false;
  return decrypt.some((s) => {
    if (s.Effect !== 'Allow') return false;
    const named = principalNamed(s, who.arn);
    // The account root in a key policy hands the decision to the principal's IAM policies.
    return named === 'named' || named === 'any' || (named === 'account' && allows(who.identity, 'kms:Decrypt', keyArn));
  });
}

/** The secret named `name` (default: the InvoiceXpress one, `ix-sequences/<stage>`). */
function secretNamed(json: CfnTemplate, suffix: 'service' | 'webhooks'): [string, CfnResource] {
  const found = resourcesOfType(json, 'AWS::SecretsManager::Secret').find(
    ([, r]) => String(props(r)['Name']).endsWith('/webhooks') === (suffix === 'webhooks'),
  );
  if (found === undefined) throw new Error(`no ${suffix} secret`);
  return found;
}

function canReadSecret(json: CfnTemplate, who: Principal, which: 'service' | 'webhooks' = 'service'): boolean {
  const [secretId, secret] = secretNamed(json, which);
  if (!allows(who.identity, 'secretsmanager:GetSecretValue', `<Ref:${secretId}>`)) return false;
  const keyId = refTarget(props(secret)['KmsKeyId']);
  // Without a key of its own the secret is under aws/secretsmanager: any principal of the account allowed GetSecretValue decrypts.
  if (keyId === undefined) return true;
  const keyPolicy = props<{ KeyPolicy: { Statement: PolicyStatementJson[] } }>(json.Resources[keyId]!).KeyPolicy.Statement;
  return canDecrypt(keyPolicy, `<GetAtt:${keyId}.Arn>`, who);
}

/** Every role of the template, with the statements of the policies attached to it. */
function templateRoles(json: CfnTemplate): Map<string, Principal> {
  const roles = new Map<string, Principal>();
  for (const [roleId] of resourcesOfType(json, 'AWS::IAM::Role')) {
    const identity = resourcesOfType(json, 'AWS::IAM::Policy')
      .filter(([, p]) => asArray(props<{ Roles?: unknown[] }>(p).Roles).some((r) => refTarget(r) === roleId))
      .flatMap(([, p]) => props<{ PolicyDocument: { Statement: PolicyStatementJson[] } }>(p).PolicyDocument.Statement);
    const inline = (props<{ Policies?: { PolicyDocument: { Statement: PolicyStatementJson[] } }[] }>(json.Resources[roleId]!).Policies ?? []).flatMap(
      (p) => p.PolicyDocument.Statement,
    );
    roles.set(roleId, { arn: `<GetAtt:${roleId}.Arn>`, identity: [...identity, ...inline] });
  }
  return roles;
}

function roleOf(json: CfnTemplate, functionName: string): string {
  return refTarget(props(json.Resources[functionLogicalId(json, functionName)]!)['Role'])!;
}

describe.each(STAGES_UNDER_TEST)('who can read the InvoiceXpress secret (stage %s)', (stage) => {
  const { json } = synthStage(stage);

  it('exactly the roles of the functions that call InvoiceXpress for the default account, not rollover-run-record, the worker nor any other role', () => {
    const readers = [...templateRoles(json)]
      .filter(([, who]) => canReadSecret(json, who))
      .map(([id]) => id)
      .sort();
    const expected = FUNCTION_SPECS.filter(readsStageSecret)
      .map((spec) => roleOf(json, `ix-sequences-${stage}-${spec.entry}`))
      .sort();
    expect(readers).toEqual(expected);
    for (const entry of ['rollover-run-record', 'rollover-worker', 'account-put', 'account-get', 'rollover-dispatcher']) {
      expect(readers, entry).not.toContain(roleOf(json, `ix-sequences-${stage}-${entry}`));
    }
    expect(readers).toContain(roleOf(json, `ix-sequences-${stage}-rollover-scheduled`));
  });

  it('the webhooks secret: only the delivery function, never a function that calls InvoiceXpress nor an administrator', () => {
    const readers = [...templateRoles(json)].filter(([, who]) => canReadSecret(json, who, 'webhooks')).map(([id]) => id);
    expect(readers).toEqual([roleOf(json, `ix-sequences-${stage}-notification-delivery`)]);
    expect(canReadSecret(json, { arn: ADMIN, identity: ADMIN_IDENTITY }, 'webhooks')).toBe(false);
    expect(props(secretNamed(json, 'webhooks')[1])['Name']).toBe(`ix-sequences/${stage}/webhooks`);
  });

  it('not an administrator of the same account, whatever its IAM policies allow', () => {
    expect(canReadSecret(json, { arn: ADMIN, identity: ADMIN_IDENTITY })).toBe(false);
  });

  it('keeps the account administering the key (kms:* for the root), denies only decrypting, and rotates the key', () => {
    const [, secret] = secretNamed(json, 'service');
    const key = json.Resources[refTarget(props(secret)['KmsKeyId'])!]!;
    expect(props(key)['EnableKeyRotation']).toBe(true);
    const statements = props<{ KeyPolicy: { Statement: PolicyStatementJson[] } }>(key).KeyPolicy.Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }));
    const root = statements.find((s) => s.Action === 'kms:*')!;
    expect(flatten((root.Principal as { AWS: unknown }).AWS)).toBe('arn:<Ref:AWS::Partition>:iam::<Ref:AWS::AccountId>:root');
    expect(root.Condition).toBeUndefined();
    const denies = statements.filter((s) => s.Effect === 'Deny');
    expect(denies.flatMap((s) => asArray(s.Action)).sort()).toEqual(['kms:Decrypt', 'kms:ReEncryptFrom']);
    // The key's administrators (root's IAM-allowed principals) can still change its policy or schedule its deletion.
    for (const action of ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:EnableKeyRotation']) {
      expect(
        denies.some((s) => asArray(s.Action).some((a) => actionMatches(a, action))),
        action,
      ).toBe(false);
    }
  });
});

describe('the break-glass role of the configuration', () => {
  const { json } = synthStage('guarded', { stages: STAGES });

  it('can read the secret once its own IAM policy allows it; an administrator still cannot', () => {
    const [secretId] = resourcesOfType(json, 'AWS::SecretsManager::Secret')[0]!;
    const [, secret] = resourcesOfType(json, 'AWS::SecretsManager::Secret')[0]!;
    const keyArn = `<GetAtt:${refTarget(props(secret)['KmsKeyId'])!}.Arn>`;
    const breakGlassIdentity: PolicyStatementJson[] = [
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `<Ref:${secretId}>` },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn },
    ];
    expect(canReadSecret(json, { arn: BREAK_GLASS, identity: breakGlassIdentity })).toBe(true);
    expect(canReadSecret(json, { arn: BREAK_GLASS, identity: [] })).toBe(false);
    expect(canReadSecret(json, { arn: ADMIN, identity: ADMIN_IDENTITY })).toBe(false);
    const readers = [...templateRoles(json)].filter(([, who]) => canReadSecret(json, who));
    expect(readers).toHaveLength(FUNCTION_SPECS.filter(readsStageSecret).length);
  });
});
