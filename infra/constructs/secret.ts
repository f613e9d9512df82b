import { Stack, Validations } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { SERVICE_NAME } from '../names.ts';
import { nagResource } from '../nag.ts';

export interface ServiceSecretProps {
  readonly config: StageConfig;
  readonly removalPolicy: RemovalPolicy;
}

/** The InvoiceXpress credentials: created by the stack, or an existing secret by name or ARN. */
export class ServiceSecret extends Construct {
  readonly secret: secretsmanager.ISecret;
  /** What the functions pass to GetSecretValue (IX_SECRET_ID). */
  readonly secretId: string;
  /** The secret's own key (a created secret only). */
  readonly key: kms.Key | undefined;
  private readonly config: StageConfig;

  constructor(scope: Construct, id: string, props: ServiceSecretProps) {
    super(scope, id);
    this.config = props.config;
    const { secret: secretConfig, stage } = props.config;
    switch (secretConfig.mode) {
      case 'create': {
        // A key of our own: its policy, not each principal's IAM policy, decides who can decrypt
        // (restrictDecryptTo). The AWS managed aws/secretsmanager key lets any principal of the
        // account whose IAM policy allows GetSecretValue read the key.
        this.key = new kms.Key(this, 'Key', {
          description: `${SERVICE_NAME} (${stage}) InvoiceXpress secret encryption`,
          enableKeyRotation: true,
          removalPolicy: props.removalPolicy,
        });
        const secret = new secretsmanager.Secret(this, 'Resource', {
          encryptionKey: this.key,
          secretName: `${SERVICE_NAME}/${stage}`,
          description: `InvoiceXpress credentials for ${SERVICE_NAME} (${stage}). Set the value out of band: {"accountName","apiKey","webhooks"?}`,
          // CloudFormation must create some value; a random non-JSON string makes the functions
          // fail loudly ("not configured") until an operator puts the real JSON.
          generateSecretString: { passwordLength: 32, excludePunctuation: true },
          removalPolicy: props.removalPolicy,
        });
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            'The API key is issued by InvoiceXpress and cannot be rotated by a Lambda; operators rotate it in InvoiceXpress and put the new value (functions re-read the secret on a 401).',
        });
        this.secret = secret;
        this.secretId = secret.secretArn;
        break;
      }
      case 'import':
        this.secret = secretsmanager.Secret.fromSecretNameV2(this, 'Resource', secretConfig.name);
        // The name, not the partial ARN: GetSecretValue resolves a name exactly, a partial ARN may not.
        this.secretId = secretConfig.name;
        break;
      case 'importArn':
        this.secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Resource', secretConfig.arn);
        this.secretId = secretConfig.arn;
        break;
    }
  }

  /**
   * Denies decrypting the secret to every principal but `roles` and the configured break-glass
   * role, whatever their IAM policies allow. Only Decrypt (and ReEncryptFrom, which would hand
   * the plaintext key to another key) is denied: the account keeps administering the key, and
   * operators can still put a new value. An imported secret keeps its own key and key policy.
   */
  restrictDecryptTo(roles: readonly iam.IRole[]): void {
    if (this.key === undefined) return;
    denyDecryptExcept(this.key, roles, this.config.breakGlassRoleArn);
  }

  /** Lets `role` read the secret (and nothing else of Secrets Manager). */
  grantRead(role: iam.Role): void {
    this.secret.grantRead(role);
    if (this.config.secret.mode === 'import') {
      // fromSecretNameV2 grants on "<name>-??????": exactly the 6-character suffix Secrets Manager
      // appends to every secret ARN, so it matches this one secret, not a family of secrets.
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResource(Stack.of(this), `${this.secret.secretArn}-??????`)}]`,
        reason: 'The ?????? wildcard is the random 6-character suffix of the single imported secret, which is unknown when importing by name.',
      });
    }
  }
}

/**
 * A key policy statement that denies Decrypt (and ReEncryptFrom, which would hand the plaintext
 * key to another key) to every principal but `roles` and the break-glass role, whatever their IAM
 * policies allow; the account keeps administering the key.
 */
export function denyDecryptExcept(key: kms.Key, roles: readonly iam.IRole[], breakGlassRoleArn: string | undefined): void {
  const allowed = [...roles.map((role) => role.roleArn), ...(breakGlassRoleArn === undefined ? [] : [breakGlassRoleArn])];
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DecryptOnlyByInvoiceXpressCallers',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:Decrypt', 'kms:ReEncryptFrom'],
      resources: ['*'],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': allowed } },
    }),
  );
}
