import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

let client: DynamoDBClient | undefined;

/**
 * The container's one DynamoDB client (the run table and the request budget share it, and so its
 * connections). AWS_ENDPOINT_URL_DYNAMODB points it at dynalite locally.
 */
export function dynamoDbClient(): DynamoDBClient {
  client ??= new DynamoDBClient({});
  return client;
}
