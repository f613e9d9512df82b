import { startLocalDynamo } from '../local/dynamodb.ts';

import { median, percentile } from './stats.ts';

/**
 * `node bench/budget-first-spend.ts [samples]`: the budget check alone on a cold path. Each sample
 * is a fresh process that imports the DynamoDB client and the budget (timed), then spends one token
 * against dynalite (the first spend: SDK set-up, signing, a new connection) and a second (warm).
 */
const child = process.argv[2] === '--child';
if (child) {
  const started = performance.now();
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { createRequestBudget } = await import('../shared/budget/budget.ts');
  const { dynamoDbBudgetStore } = await import('../shared/budget/dynamodb-budget.ts');
  const { Deadline } = await import('../shared/runtime/deadline.ts');
  const imported = performance.now();
  const store = dynamoDbBudgetStore({ client: new DynamoDBClient({}), tableName: process.env['TABLE'] ?? '' });
  const budget = createRequestBudget({ account: `bench-${String(process.pid)}`, limits: { perMinute: 100, burst: 20, rolloverReserve: 10 }, store });
  const spend = () => budget.spend({ share: 'api', wait: false, deadline: Deadline.in(5_000) });
  const t0 = performance.now();
  await spend();
  const t1 = performance.now();
  await spend();
  const t2 = performance.now();
  console.log(JSON.stringify({ importMs: imported - started, firstMs: t1 - t0, secondMs: t2 - t1 }));
} else {
  const samples = Number(process.argv[2] ?? '20');
  const dynamo = await startLocalDynamo();
  const results: { importMs: number; firstMs: number; secondMs: number }[] = [];
  try {
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      TABLE: dynamo.tableName,
    };
    for (let i = 0; i < samples; i++) {
      // spawnSync would block dynalite (in this process): run the child asynchronously.
      const { spawn } = await import('node:child_process');
      const out = await new Promise<string>((resolve, reject) => {
        const proc = spawn(process.execPath, [new URL(import.meta.url).pathname, '--child'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
        let text = '';
        proc.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        proc.once('error', reject);
        proc.once('close', () => resolve(text));
      });
      results.push(JSON.parse(out) as { importMs: number; firstMs: number; secondMs: number });
    }
  } finally {
    await dynamo.close();
  }
  for (const key of ['importMs', 'firstMs', 'secondMs'] as const) {
    const values = results.map((r) => r[key]);
    console.log(`${key}: median ${median(values).toFixed(1)} ms, p90 ${percentile(values, 90).toFixed(1)} ms (${String(samples)} processes)`);
  }
}
