import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RUN_TABLE_KEY } from '../rollover/run-store.ts';
import type { BudgetStore } from './budget.ts';

/**
 * The budget's one item per account in the run table (`pk` BUDGET#<account>, `sk` BUCKET):
 * `at`, the bucket's theoretical arrival time in epoch ms. Two conditional UpdateItems at most
 * per spend (no read, no transaction): a bucket that has drained restarts from now; a busy one
 * moves on by one interval if that stays within the caller's share.
 */
const SORT_KEY = 'BUCKET';
/** Each DynamoDB call gives up after this: the budget must not hold a request up for long. */
const CALL_TIMEOUT_MS = 2_000;

export const budgetPartition = (account: string): string => `BUDGET#${account}`;

export function dynamoDbBudgetStore(options: { client: DynamoDBClient; tableName: string }): BudgetStore {
  const { client, tableName } = options;
  const keyOf = (account: string) => ({ [RUN_TABLE_KEY.partitionKey]: { S: budgetPartition(account) }, [RUN_TABLE_KEY.sortKey]: { S: SORT_KEY } });
  const num = (n: number) => ({ N: String(n) });

  async function update(account: string, expression: string, condition: string, values: Record<string, { N: string }>): Promise<boolean> {
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: keyOf(account),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: values,
        }),
        { abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  return {
    async trySpend({ account, now, intervalMs, maxAt }) {
      // Drained (or new): the bucket restarts from now.
      if (await update(account, 'SET #at = :next', 'attribute_not_exists(#at) OR #at < :now', { ':next': num(now + intervalMs), ':now': num(now) })) {
        return { spent: true };
      }
      // Busy: one interval more, if the share still has a token.
      if (
        await update(account, 'SET #at = #at + :interval', '#at BETWEEN :now AND :last', {
          ':interval': num(intervalMs),
          ':now': num(now),
          ':last': num(maxAt - intervalMs),
        })
      ) {
        return { spent: true };
      }
      const item = await client.send(new GetItemCommand({ TableName: tableName, Key: keyOf(account), ConsistentRead: true }), {
        abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      const at = Number(item.Item?.['at']?.N ?? now);
      return { spent: false, retryAfterMs: Math.max(1, at + intervalMs - maxAt) };
    },
  };
}
