import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { listenOnLoopback, readBody } from '../sandbox/loopback.ts';
import * as z from '../shared/zod.ts';

/**
 * A loopback stand-in for the Secrets Manager calls the service makes (AWS JSON 1.1 protocol): the
 * stage's own secret, read with GetSecretValue, and the registered accounts' secrets, which the
 * admin functions write (CreateSecret, PutSecretValue, DeleteSecret with a recovery window,
 * RestoreSecret; DescribeSecret too) and every InvoiceXpress caller reads. Pointing
 * AWS_ENDPOINT_URL_SECRETS_MANAGER at it lets `npm start` and the tests run the real SDK path
 * without AWS. A secret scheduled for deletion answers as AWS does (InvalidRequestException to
 * reads, writes and a second delete; CreateSecret of its name too), so the service's restore path
 * runs here as it would there. Nothing here prints or logs a secret's value.
 */
export interface LocalSecretsManager {
  readonly url: string;
  /** The stage's own secret (IX_SECRET_ID), created at start. */
  readonly defaultSecretName: string;
  /** GetSecretValue calls answered so far, of any secret (cache hits never reach here). */
  readonly calls: number;
  /** Every GetSecretValue's SecretId (a name or an ARN, as sent), in order. */
  reads(): readonly string[];
  /** The secrets held, by name, those scheduled for deletion included. */
  secretNames(): string[];
  /** Puts a new value in the stage's own secret. */
  setSecretString(value: string): void;
  /**
   * Answer GetSecretValue with this AWS error type (e.g. ResourceNotFoundException) until cleared
   * with undefined: of every secret, or of the one named `secretName` only.
   */
  failWith(errorType: string | undefined, secretName?: string): void;
  close(): Promise<void>;
}

interface StoredSecret {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  description: string | undefined;
  value: string;
  versionId: string;
  changedAt: number;
  /** Set while the secret is scheduled for deletion (epoch ms). */
  deletionDate: number | undefined;
}

/** An AWS error answer: its `__type` and message (never a secret's value). */
class SecretsFault extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

const DAY_MS = 86_400_000;
const epochSeconds = (ms: number): number => ms / 1000;
const notFound = (): SecretsFault => new SecretsFault('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const markedDeleted = (): SecretsFault =>
  new SecretsFault('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");

// What each operation reads from its request; other fields are accepted and ignored, as far as the service sends them.
const SecretIdSchema = z.object({ SecretId: z.string().check(z.minLength(1)) });
const CreateSchema = z.object({ Name: z.string().check(z.minLength(1)), SecretString: z.string(), Description: z.optional(z.string()) });
const PutValueSchema = z.object({ SecretId: z.string().check(z.minLength(1)), SecretString: z.string() });
const DeleteSchema = z.object({
  SecretId: z.string().check(z.minLength(1)),
  RecoveryWindowInDays: z.optional(z.number()),
  ForceDeleteWithoutRecovery: z.optional(z.boolean()),
});

function parsed<Schema extends z.ZodMiniType>(schema: Schema, input: unknown): z.output<Schema> {
  const result = schema.safeParse(input);
  if (!result.success)
    throw new SecretsFault('InvalidParameterException', `Invalid request: ${result.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);
  return result.data;
}

/** The secrets by name, and their ARNs (a SecretId may be either). */
class SecretStore {
  readonly #byName = new Map<string, StoredSecret>();
  readonly #nameByArn = new Map<string, string>();

  names(): string[] {
    return [...this.#byName.keys()];
  }

  /** The name of the secret a SecretId (name or ARN) names, if it is held. */
  nameOf(secretId: string): string | undefined {
    const name = this.#nameByArn.get(secretId) ?? secretId;
    return this.#byName.has(name) ? name : undefined;
  }

  find(secretId: string): StoredSecret {
    const secret = this.#byName.get(this.nameOf(secretId) ?? '');
    if (secret === undefined) throw notFound();
    return secret;
  }

  /** A secret that reads and writes may use: not scheduled for deletion. */
  live(secretId: string): StoredSecret {
    const secret = this.find(secretId);
    if (secret.deletionDate !== undefined) throw markedDeleted();
    return secret;
  }

  create(name: string, value: string, description: string | undefined): StoredSecret {
    const existing = this.#byName.get(name);
    if (existing?.deletionDate !== undefined) {
      throw new SecretsFault('InvalidRequestException', "You can't create this secret because a secret with this name is already scheduled for deletion.");
    }
    if (existing !== undefined) throw new SecretsFault('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    const now = Date.now();
    // As AWS names them: the name, a hyphen and six random characters.
    const arn = `arn:aws:secretsmanager:eu-west-1:000000000000:secret:${name}-${randomBytes(3).toString('hex')}`;
    const secret: StoredSecret = { name, arn, createdAt: now, description, value, versionId: randomUUID(), changedAt: now, deletionDate: undefined };
    this.#byName.set(name, secret);
    this.#nameByArn.set(arn, name);
    return secret;
  }

  remove(secret: StoredSecret): void {
    this.#byName.delete(secret.name);
    this.#nameByArn.delete(secret.arn);
  }
}

const versionOf = (secret: StoredSecret) => ({ ARN: secret.arn, Name: secret.name, VersionId: secret.versionId, VersionStages: ['AWSCURRENT'] });

function deleteSecret(store: SecretStore, input: unknown): Record<string, unknown> {
  const request = parsed(DeleteSchema, input);
  const secret = store.find(request.SecretId);
  if (request.ForceDeleteWithoutRecovery === true) {
    if (request.RecoveryWindowInDays !== undefined)
      throw new SecretsFault('InvalidParameterException', 'Give RecoveryWindowInDays or ForceDeleteWithoutRecovery, not both.');
    store.remove(secret);
    return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(Date.now()) };
  }
  if (secret.deletionDate !== undefined) {
    throw new SecretsFault('InvalidRequestException', "You tried to perform the operation on a secret that's currently marked deleted.");
  }
  const days = request.RecoveryWindowInDays ?? 30;
  if (!Number.isInteger(days) || days < 7 || days > 30) throw new SecretsFault('InvalidParameterException', 'RecoveryWindowInDays must be from 7 to 30.');
  secret.deletionDate = Date.now() + days * DAY_MS;
  return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(secret.deletionDate) };
}

function describeSecret(store: SecretStore, input: unknown): Record<string, unknown> {
  const secret = store.find(parsed(SecretIdSchema, input).SecretId);
  return {
    ARN: secret.arn,
    Name: secret.name,
    ...(secret.description === undefined ? {} : { Description: secret.description }),
    CreatedDate: epochSeconds(secret.createdAt),
    LastChangedDate: epochSeconds(secret.changedAt),
    ...(secret.deletionDate === undefined ? {} : { DeletedDate: epochSeconds(secret.deletionDate) }),
    VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] },
  };
}

/** The write operations (GetSecretValue is answered by the server: it counts and records reads). */
const operations: Record<string, (store: SecretStore, input: unknown) => Record<string, unknown>> = {
  CreateSecret: (store, input) => {
    const request = parsed(CreateSchema, input);
    const secret = store.create(request.Name, request.SecretString, request.Description);
    return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId };
  },
  PutSecretValue: (store, input) => {
    const request = parsed(PutValueSchema, input);
    const secret = store.live(request.SecretId);
    Object.assign(secret, { value: request.SecretString, versionId: randomUUID(), changedAt: Date.now() });
    return versionOf(secret);
  },
  DeleteSecret: deleteSecret,
  RestoreSecret: (store, input) => {
    const secret = store.find(parsed(SecretIdSchema, input).SecretId);
    secret.deletionDate = undefined;
    return { ARN: secret.arn, Name: secret.name };
  },
  DescribeSecret: describeSecret,
};

export async function startLocalSecretsManager(options: { secretString: string; secretName: string }): Promise<LocalSecretsManager> {
  const store = new SecretStore();
  const stageSecret = store.create(options.secretName, options.secretString, 'The stage secret (local)');
  const failures = new Map<string | undefined, string>();
  const reads: string[] = [];

  function getSecretValue(input: unknown): Record<string, unknown> {
    const { SecretId } = parsed(SecretIdSchema, input);
    reads.push(SecretId);
    const failure = failures.get(undefined) ?? failures.get(store.nameOf(SecretId) ?? SecretId);
    if (failure !== undefined) throw new SecretsFault(failure, `Local Secrets Manager answers ${failure}`);
    const secret = store.live(SecretId);
    return { ...versionOf(secret), SecretString: secret.value, CreatedDate: epochSeconds(secret.changedAt) };
  }

  function answerOf(target: string, input: unknown): Record<string, unknown> {
    const operation = target.replace(/^secretsmanager\./, '');
    if (operation === 'GetSecretValue') return getSecretValue(input);
    const run = operations[operation];
    if (run === undefined) throw new SecretsFault('UnknownOperationException', `${operation} is not served by the local Secrets Manager`);
    return run(store, input);
  }

  const server = createServer((request, response) => {
    void readBody(request).then((raw) => {
      const answer = (status: number, body: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      };
      try {
        const input: unknown = JSON.parse(raw.toString('utf8') || '{}');
        answer(200, answerOf(String(request.headers['x-amz-target'] ?? ''), input));
      } catch (error) {
        const type = error instanceof SecretsFault ? error.type : 'InternalServiceError';
        answer(400, { __type: type, message: error instanceof SecretsFault ? error.message : 'The local Secrets Manager could not read the request' });
      }
    });
  });
  const url = await listenOnLoopback(server);

  return {
    url,
    defaultSecretName: options.secretName,
    get calls() {
      return reads.length;
    },
    reads: () => [...reads],
    secretNames: () => store.names(),
    setSecretString: (value) => {
      Object.assign(stageSecret, { value, versionId: randomUUID(), changedAt: Date.now() });
    },
    failWith: (errorType, secretName) => {
      if (errorType === undefined) failures.delete(secretName);
      else failures.set(secretName, errorType);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The environment a function module needs to run locally: the AWS SDK pointed at the loopback
 * Secrets Manager and DynamoDB (dummy credentials), InvoiceXpress at the sandbox. Set it before importing a
 * function module (they parse the environment at import, as at a Lambda cold start).
 */
export function localFunctionEnvironment(options: {
  secretsManager: Pick<LocalSecretsManager, 'url' | 'defaultSecretName'>;
  /** The sandbox's account URL template (`…/accounts/{account}`): every account, the default one too, at its own path. */
  invoiceXpressUrl: string;
  /** The local DynamoDB (dynalite) and its run table: the rollover's runs and locks, and the account registry. */
  dynamo: { url: string; tableName: string };
  /** The sandbox's account name, as the stack passes the stage's invoiceXpressAccount. */
  accountName: string;
  stage: string;
}): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: options.secretsManager.url,
    AWS_ENDPOINT_URL_DYNAMODB: options.dynamo.url,
    ROLLOVER_TABLE_NAME: options.dynamo.tableName,
    // As the stack sets it: the registry lives in the run table (pk ACCOUNTS).
    IX_ACCOUNTS_TABLE_NAME: options.dynamo.tableName,
    IX_ACCOUNT_NAME: options.accountName,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    IX_SECRET_ID: options.secretsManager.defaultSecretName,
    IX_BASE_URL: options.invoiceXpressUrl,
    STAGE: options.stage,
    // Only local runs: plain-http sandbox, http: webhooks to loopback, no request budget unless set.
    LOCAL_RUN: 'true',
    POWERTOOLS_SERVICE_NAME: 'ix-sequences',
  };
}
