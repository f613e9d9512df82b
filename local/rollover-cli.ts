import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { Sandbox } from '../sandbox/types.ts';
import type { InvoiceXpressClient } from '../shared/invoicexpress/types.ts';
import { familiesOf, RolloverSettingsSchema } from '../shared/rollover/settings.ts';
import type { RunStore } from '../shared/rollover/run-store.ts';
import type { RegistrationLeases } from '../shared/sequences/registration-lease.ts';
import { RolloverInputSchema } from '../shared/rollover/schemas.ts';
import type { RolloverInput } from '../shared/rollover/schemas.ts';
import type { RolloverStep } from '../shared/rollover/result.ts';
import type { LocalDynamo } from './dynamodb.ts';
import type * as z from '../shared/zod.ts';

type RolloverSettings = z.infer<typeof RolloverSettingsSchema>;
import { issueLines } from '../shared/zod-issues.ts';

/**
 * `npm run rollover -- --phase prepare|activate|verify [--year N] [--dry-run] [--no-lock]`
 *
 * Runs the same rollover as the scheduled function, through the same lock and run record,
 * printing each step as it happens and the result JSON. Against an in-process sandbox by default;
 * against a real InvoiceXpress account when IX_ACCOUNT_NAME and IX_API_KEY are set.
 */

const USAGE = `Usage: npm run rollover -- --phase prepare|activate|verify [--year N] [--dry-run] [--no-lock]

  --phase prepare    create and register next year's serie (never changes the default)
  --phase activate   also make the year's serie the default sequence
  --phase verify     read only: is the year's serie registered and the default?
  --year N           the year (default: next year for prepare, this year for activate and verify,
                     in ROLLOVER_TIME_ZONE); a run that changes the account only for this year or the next
  --dry-run          only read; print what would be done
  --no-lock          a real account without ROLLOVER_TABLE_NAME: run without the shared lock (only when
                     no deployed ix-sequences works on this account)
  --help             this text

Environment:
  IX_ACCOUNT_NAME, IX_API_KEY   a real InvoiceXpress account (default: the built-in sandbox)
  IX_BASE_URL                   with them: the account's URL override (e.g. a running \`npm run sandbox\`)
  ROLLOVER_TABLE_NAME           with a real account: the stage's run table (stack output RolloverTableName),
                                reached with your AWS credentials, so this run shares the service's lock
  SERIE_TEMPLATES               serie names to try, in order (default "{year},{year}B,{year}C")
  SERIE_FAMILIES                families of series, JSON (docs/rollover.md); replaces SERIE_TEMPLATES
  ROLLOVER_TIME_ZONE            time zone that decides the year (default Europe/Lisbon)

Exit codes: 0 done or nothing to do, 1 the run failed or stopped, 2 bad usage or settings,
3 another run holds the lock (it does the work; run again when it ends).`;

/** A CLI run has no platform limit; this bounds a stuck one. */
const CLI_DEADLINE_MS = 10 * 60_000;

class UsageError extends Error {}

interface CliInput extends RolloverInput {
  noLock: boolean;
}

function parseInput(argv: string[]): CliInput | 'help' {
  let values: { phase?: string; year?: string; 'dry-run'?: boolean; 'no-lock'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        phase: { type: 'string' },
        year: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        'no-lock': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return 'help';
  if (values.year !== undefined && !/^\d+$/.test(values.year)) throw new UsageError(`--year must be a number, got "${values.year}"`);
  const parsed = RolloverInputSchema.safeParse({
    phase: values.phase,
    ...(values.year === undefined ? {} : { year: Number(values.year) }),
    dryRun: values['dry-run'] ?? false,
  });
  if (!parsed.success) {
    const problems = issueLines(parsed.error, { root: 'arguments' }).map((line) => `--${line}`);
    throw new UsageError(problems.join('; '));
  }
  return { ...parsed.data, noLock: values['no-lock'] ?? false };
}

const MARK: Record<RolloverStep['status'], string> = { done: 'done', skipped: 'skip', planned: 'plan', failed: 'FAIL' };

function printStep(step: RolloverStep): void {
  const serie = step.serie === undefined ? '' : ` '${step.serie}'`;
  const family = step.family === undefined || step.family === 'main' ? '' : ` (${step.family})`;
  console.log(`  [${MARK[step.status]}] ${step.action}${serie}${family}: ${step.detail}`);
}

interface Target {
  client: InvoiceXpressClient;
  account: string;
  store: RunStore | undefined;
  /** The registration leases, in the same table as the lock. */
  leases: RegistrationLeases | undefined;
  close(): Promise<void>;
}

/** Where the run goes: the built-in sandbox with a local run table, or a real account. */
async function openTarget(input: CliInput, env: NodeJS.ProcessEnv): Promise<Target | string> {
  const accountName = env['IX_ACCOUNT_NAME']?.trim() ?? '';
  const apiKey = env['IX_API_KEY']?.trim() ?? '';
  const baseUrl = env['IX_BASE_URL']?.trim() ?? '';
  const tableName = env['ROLLOVER_TABLE_NAME']?.trim() ?? '';
  if ((accountName === '') !== (apiKey === '')) return 'set both IX_ACCOUNT_NAME and IX_API_KEY to use a real account, or neither for the sandbox';
  if (accountName === '' && baseUrl !== '') return 'IX_BASE_URL needs IX_ACCOUNT_NAME and IX_API_KEY (the key of the account at that URL)';
  const readOnly = input.dryRun || input.phase === 'verify';
  if (accountName !== '' && tableName === '' && !readOnly && !input.noLock) {
    return "a real account needs ROLLOVER_TABLE_NAME (the stage's run table, stack output RolloverTableName) so this run shares the lock with the deployed service; or pass --no-lock when no deployed ix-sequences works on this account";
  }

  // Loaded only once the arguments are good: usage errors answer fast.
  const [{ createInvoiceXpressClient }, { createRunTable }, { createRegistrationLeaseTable }] = await Promise.all([
    import('../shared/invoicexpress/client.ts'),
    import('../shared/rollover/run-table.ts'),
    import('../shared/sequences/registration-lease-table.ts'),
  ]);
  if (accountName !== '') {
    const client = createInvoiceXpressClient({ accountName, apiKey, baseUrl: baseUrl === '' ? undefined : baseUrl });
    const store = tableName === '' || readOnly ? undefined : createRunTable({ tableName });
    // The key is never printed; the account and URL carry no secret.
    console.log(
      `InvoiceXpress account "${accountName}"${baseUrl === '' ? '' : ` at ${baseUrl}`}` +
        (readOnly ? ' (read only: nothing will be changed)' : ': changes are REAL') +
        (store === undefined && !readOnly ? ' — WITHOUT the shared lock (--no-lock)' : ''),
    );
    const leases = store === undefined ? undefined : createRegistrationLeaseTable({ tableName });
    return { client, account: accountName, store, leases, close: () => Promise.resolve() };
  }
  const [{ startSandbox }, { startLocalDynamo }] = await Promise.all([import('../sandbox/server.ts'), import('./dynamodb.ts')]);
  const sandbox: Sandbox = await startSandbox();
  const dynamo: LocalDynamo = await startLocalDynamo();
  console.log(
    `Using the built-in InvoiceXpress sandbox at ${sandbox.url} (seeded with the docs' example serie "2022"). ` +
      'Its state is not persisted: every run starts fresh. Set IX_ACCOUNT_NAME and IX_API_KEY for a real account.',
  );
  return {
    client: createInvoiceXpressClient({ accountName: sandbox.accountName, apiKey: sandbox.apiKey, baseUrl: sandbox.url }),
    account: sandbox.accountName,
    store: createRunTable({ tableName: dynamo.tableName, client: dynamo.client }),
    leases: createRegistrationLeaseTable({ tableName: dynamo.tableName, client: dynamo.client }),
    close: async () => {
      await Promise.all([sandbox.close(), dynamo.close()]);
    },
  };
}

async function main(argv: string[]): Promise<number> {
  let input: CliInput;
  try {
    const parsed = parseInput(argv);
    if (parsed === 'help') {
      console.log(USAGE);
      return 0;
    }
    input = parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`Error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  const settings = RolloverSettingsSchema.safeParse(process.env);
  if (!settings.success) {
    const problems = issueLines(settings.error);
    console.error(`Error: invalid environment: ${problems.join('; ')}`);
    return 2;
  }
  const target = await openTarget(input, process.env);
  if (typeof target === 'string') {
    console.error(`Error: ${target}`);
    return 2;
  }
  try {
    return await rollover(input, target, settings.data);
  } finally {
    await target.close();
  }
}

async function rollover(input: CliInput, target: Target, settings: RolloverSettings): Promise<number> {
  const [{ runLocked }, { RolloverYearError }, { Deadline }] = await Promise.all([
    import('../shared/rollover/locked-run.ts'),
    import('../shared/rollover/errors.ts'),
    import('../shared/runtime/deadline.ts'),
  ]);
  const { ROLLOVER_TIME_ZONE: timeZone } = settings;
  const families = familiesOf(settings);
  const names = families.map((family) => (families.length === 1 ? family.templates.join(', ') : `${family.name}: ${family.templates.join(', ')}`)).join('; ');
  console.log(
    `Rollover ${input.phase}${input.year === undefined ? '' : ` ${String(input.year)}`}${input.dryRun ? ' (dry run)' : ''}; names ${names}; time zone ${timeZone}`,
  );
  const client = target.client;
  try {
    const run = await runLocked(
      { client, store: target.store, leases: target.leases, account: target.account, families, timeZone, onStep: printStep },
      { input, trigger: 'cli', caller: `cli:${userInfo().username}@${hostname()}`, deadline: Deadline.in(CLI_DEADLINE_MS) },
    );
    if (run.type === 'busy') {
      const { holder } = run;
      console.error(
        `Another ${holder.phase} run for ${String(run.year)} holds the lock: run ${holder.runId}, started ${holder.acquiredAt} by ${holder.trigger} (${holder.caller}). It does the work; run again when it ends.`,
      );
      return 3;
    }
    const { result } = run;
    console.log(
      `Outcome: ${result.outcome} (serie '${result.serie}', year ${String(result.year)})${result.runId === undefined ? '' : `, run ${result.runId}`}`,
    );
    if (result.note !== undefined) console.log(`Note: ${result.note}`);
    if (result.fallback) console.log(`Fallback: '${result.serie}' used instead of '${result.fallback.from}': ${result.fallback.reason}`);
    console.log(JSON.stringify(result, null, 2));
    return result.outcome === 'failed' || result.outcome === 'incomplete' ? 1 : 0;
  } catch (error) {
    if (!(error instanceof RolloverYearError)) throw error;
    console.error(`Error: ${error.message}`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Our own errors only (the client's carry no key); never a raw fetch error.
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
