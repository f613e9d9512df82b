import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { denyDecryptExcept } from './secret.ts';
import { SECRET_RECOVERY_DAYS, accountSecretsPath } from '../../shared/accounts/secrets.ts';
import type { StageConfig } from '../config.ts';
import { SERVICE_NAME } from '../names.ts';
import { nagResource } from '../nag.ts';

/** The tag CreateSecret puts on each account's secret (shared/accounts/secrets.ts); the grant requires it, and no other. */
export const ACCOUNT_SECRET_TAG = 'ix-sequences:account';

/** What an admin function does with the accounts' secrets: `put` creates, re-keys and restores them; `delete` schedules their deletion. */
export type AccountSecretsWrite = 'put' | 'delete';

export interface AccountSecretsProps {
  readonly config: StageConfig;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The registered accounts' API keys: one secret each, `ix-sequences/<stage>/accounts/<account>`,
 * created at run time by PUT /accounts/{account} (shared/accounts/secrets.ts), so the stack owns
 * their path and their KMS key, not the secrets. Like the stage's own secret, the key's policy
 * (restrictDecryptTo) and not each principal's IAM policy decides who can decrypt them.
 */
export class AccountSecrets extends Construct {
  readonly key: kms.Key;
  /** `arn:…:secret:ix-sequences/<stage>/accounts/*`: every account's secret of this stage, and no other. */
  readonly pathArn: string;
  private readonly config: StageConfig;

  constructor(scope: Construct, id: string, props: AccountSecretsProps) {
    super(scope, id);
    this.config = props.config;
    this.key = new kms.Key(this, 'Key', {
      description: `${SERVICE_NAME} (${props.config.stage}) registered accounts' InvoiceXpress secrets encryption`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.pathArn = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${accountSecretsPath(props.config.stage)}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /** What the admin writer passes as KmsKeyId (CreateSecret): the key's ARN, which the grant's condition names. */
  environment(): Record<string, string> {
    return { ACCOUNT_SECRETS_KMS_KEY_ID: this.key.keyArn };
  }

  /** GetSecretValue on the stage's account secrets, and Decrypt through Secrets Manager (the functions that call InvoiceXpress). */
  grantRead(role: iam.Role): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.pathArn] }));
    role.addToPrincipalPolicy(this.keyStatement(['kms:Decrypt']));
    this.acknowledgePath(role, 'read the secret of whichever registered account a request or message names');
  }

  /**
   * The admin functions' writes, and only theirs: `put` creates a secret under this key (tagged
   * with its account), puts a new value and restores one whose deletion is scheduled; `delete`
   * schedules a deletion, never without a recovery window. Neither may read a value back.
   */
  grantWrite(role: iam.Role, access: AccountSecretsWrite): void {
    const resources = [this.pathArn];
    if (access === 'delete') {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:DeleteSecret'],
          resources,
          conditions: { NumericGreaterThanEquals: { 'secretsmanager:RecoveryWindowInDays': String(SECRET_RECOVERY_DAYS) } },
        }),
      );
      this.acknowledgePath(role, "schedule the deletion of a deleted account's secret");
      return;
    }
    const tagged = { 'ForAllValues:StringEquals': { 'aws:TagKeys': [ACCOUNT_SECRET_TAG] } };
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:CreateSecret'],
        resources,
        conditions: {
          ...tagged,
          StringLike: { 'secretsmanager:Name': `${accountSecretsPath(this.config.stage)}*` },
          StringEquals: { 'secretsmanager:KmsKeyId': this.key.keyArn },
          Null: { [`aws:RequestTag/${ACCOUNT_SECRET_TAG}`]: 'false' },
        },
      }),
    );
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:TagResource'], resources, conditions: tagged }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:PutSecretValue', 'secretsmanager:RestoreSecret'], resources }));
    // Secrets Manager encrypts a new value under the secret's key with a data key (CreateSecret, PutSecretValue).
    role.addToPrincipalPolicy(this.keyStatement(['kms:GenerateDataKey', 'kms:Decrypt']));
    this.acknowledgePath(role, 'create, re-key or restore the secret of the account a PUT /accounts/{account} names');
  }

  /**
   * Denies decrypting the accounts' secrets to every principal but `roles` (the functions that
   * call InvoiceXpress, and the admin writer, which Secrets Manager decrypts for when it re-encrypts)
   * and the configured break-glass role, whatever their IAM policies allow.
   */
  restrictDecryptTo(roles: readonly iam.IRole[]): void {
    denyDecryptExcept(this.key, roles, this.config.breakGlassRoleArn);
  }

  /** Key calls made for the role by Secrets Manager only (kms:ViaService), never directly. */
  private keyStatement(actions: string[]): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions,
      resources: [this.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
    });
  }

  private acknowledgePath(role: iam.Role, what: string): void {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(Stack.of(this), this.pathArn)}]`,
      reason: `The * is the account's name (and Secrets Manager's 6-character suffix) under this stage's accounts path: the function must ${what}, and cannot reach any other secret.`,
    });
  }
}
