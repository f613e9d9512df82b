import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';

let client: DynamoDBClient | undefined;

/**
 * The container's one DynamoDB client (the run table, the leases, the request budget and the
 * notifications share it, and so its connections). AWS_ENDPOINT_URL_DYNAMODB points it at dynalite locally.
 */
export function dynamoDbClient(): DynamoDBClient {
  client ??= new DynamoDBClient({});
  return client;
}

const documentClients = new WeakMap<DynamoDBClient, DynamoDBDocumentClient>();

/**
 * The one document client of a DynamoDB client (default: the container's), always with the same
 * marshalling options. One per client because `DynamoDBDocumentClient.from` writes its options
 * into the client's shared config: a second `from` with other options silently changes the
 * first's (a publisher without removeUndefinedValues made every lease release fail).
 */
export function dynamoDbDocuments(base: DynamoDBClient = dynamoDbClient()): DynamoDBDocumentClient {
  let documents = documentClients.get(base);
  if (documents === undefined) {
    documents = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
    documentClients.set(base, documents);
  }
  return documents;
}

/** Every item a Query matches, page after page (lib-dynamodb's paginator), each parsed by `parse`. */
export async function queryItems<T>(documents: DynamoDBDocumentClient, input: QueryCommandInput, parse: (item: Record<string, unknown>) => T): Promise<T[]> {
  const items: T[] = [];
  for await (const page of paginateQuery({ client: documents }, input)) for (const item of page.Items ?? []) items.push(parse(item));
  return items;
}
