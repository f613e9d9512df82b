/** The functions' budget in the bench: on the run table, and large enough never to refuse a sample. */
export const BENCH_BUDGET = (tableName: string): Record<string, string> => ({
  IX_BUDGET_TABLE_NAME: tableName,
  IX_BUDGET_PER_MINUTE: '100000',
  IX_BUDGET_BURST: '50000',
  IX_BUDGET_ROLLOVER_RESERVE: '10',
});
