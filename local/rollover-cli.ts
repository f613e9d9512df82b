import { parseArgs } from 'node:util';
import type { Sandbox } from '../sandbox/types.ts';
import type { InvoiceXpressClient } from '../shared/invoicexpress/types.ts';
import { RolloverSettingsSchema } from '../shared/rollover/config.ts';
import { RolloverInputSchema } from '../shared/rollover/schemas.ts';
import type { RolloverInput } from '../shared/rollover/schemas.ts';
import type { RolloverStep } from '../shared/rollover/result.ts';

/**
 * `npm run rollover -- --phase prepare|activate [--year N] [--dry-run]`
 *
 * Runs the same rollover as the scheduled function, printing each step as it happens and the
 * result JSON. Against an in-process sandbox by default; against a real InvoiceXpress account when
 * IX_ACCOUNT_NAME and IX_API_KEY are set (IX_BASE_URL optionally points elsewhere, e.g. a running
 * `npm run sandbox`). Exit codes: 0 success (or nothing to do), 1 the rollover failed, 2 bad usage.
 */

const USAGE = `Usage: npm run rollover -- --phase prepare|activate [--year N] [--dry-run]

  --phase prepare    create and register next year's serie (never changes the default)
  --phase activate   also make the year's serie the default sequence
  --year N           the year (default: next year for prepare, this year for activate, in ROLLOVER_TIME_ZONE)
  --dry-run          only read; print what would be done
  --help             this text

Environment:
  IX_ACCOUNT_NAME, IX_API_KEY   a real InvoiceXpress account (default: the built-in sandbox)
  IX_BASE_URL                   override the account's URL (e.g. a running \`npm run sandbox\`)
  SERIE_TEMPLATES               serie names to try, in order (default "{year},{year}B,{year}C")
  ROLLOVER_TIME_ZONE            time zone that decides the year (default Europe/Lisbon)`;

class UsageError extends Error {}

function parseInput(argv: string[]): RolloverInput | 'help' {
  let values: { phase?: string | undefined; year?: string | undefined; 'dry-run'?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        phase: { type: 'string' },
        year: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return 'help';
  if (values.year !== undefined && !/^\d+$/.test(values.year)) throw new UsageError(`--year must be a number, got "${values.year}"`);
  const parsed = RolloverInputSchema.safeParse({
    phase: values.phase,
    ...(values.year === undefined ? {} : { year: Number(values.year) }),
    dryRun: values['dry-run'] ?? false,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `--${issue.path.join('.') || 'arguments'}: ${issue.message}`);
    throw new UsageError(problems.join('; '));
  }
  return parsed.data;
}

const MARK: Record<RolloverStep['status'], string> = { done: 'done', skipped: 'skip', planned: 'plan', failed: 'FAIL' };

function printStep(step: RolloverStep): void {
  const serie = step.serie === undefined ? '' : ` '${step.serie}'`;
  console.log(`  [${MARK[step.status]}] ${step.action}${serie}: ${step.detail}`);
}

async function main(argv: string[]): Promise<number> {
  let input: RolloverInput;
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
    const problems = settings.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    console.error(`Error: invalid environment: ${problems.join('; ')}`);
    return 2;
  }

  const accountName = process.env['IX_ACCOUNT_NAME']?.trim() ?? '';
  const apiKey = process.env['IX_API_KEY']?.trim() ?? '';
  if ((accountName === '') !== (apiKey === '')) {
    console.error('Error: set both IX_ACCOUNT_NAME and IX_API_KEY to use a real account, or neither for the sandbox');
    return 2;
  }

  // Loaded only once the arguments are good: usage errors answer fast.
  const [{ createInvoiceXpressClient }, { runRollover }] = await Promise.all([
    import('../shared/invoicexpress/client.ts'),
    import('../shared/rollover/rollover.ts'),
  ]);
  let sandbox: Sandbox | undefined;
  let client: InvoiceXpressClient;
  try {
    if (accountName !== '') {
      const baseUrl = process.env['IX_BASE_URL']?.trim() || undefined;
      client = createInvoiceXpressClient({ accountName, apiKey, baseUrl });
      // The key is never printed; the account and URL carry no secret.
      console.log(
        `InvoiceXpress account "${accountName}"${baseUrl === undefined ? '' : ` at ${baseUrl}`}` +
          (input.dryRun ? ' (dry run: nothing will be changed)' : ': changes are REAL'),
      );
    } else {
      const { startSandbox } = await import('../sandbox/server.ts');
      sandbox = await startSandbox();
      client = createInvoiceXpressClient({ accountName: sandbox.accountName, apiKey: sandbox.apiKey, baseUrl: sandbox.url });
      console.log(
        `Using the built-in InvoiceXpress sandbox at ${sandbox.url} (seeded with the docs' example serie "2022"). ` +
          'Its state is not persisted: every run starts fresh. Set IX_ACCOUNT_NAME and IX_API_KEY for a real account.',
      );
    }

    const { SERIE_TEMPLATES: templates, ROLLOVER_TIME_ZONE: timeZone } = settings.data;
    console.log(
      `Rollover ${input.phase}${input.year === undefined ? '' : ` ${String(input.year)}`}${input.dryRun ? ' (dry run)' : ''}; ` +
        `names ${templates.join(', ')}; time zone ${timeZone}`,
    );
    const result = await runRollover({ client, input, now: () => new Date(), templates, timeZone, onStep: printStep });
    console.log(`Outcome: ${result.outcome} (serie '${result.serie}', year ${String(result.year)})`);
    if (result.fallback) console.log(`Fallback: '${result.serie}' used instead of '${result.fallback.from}': ${result.fallback.reason}`);
    console.log(JSON.stringify(result, null, 2));
    return result.outcome === 'failed' ? 1 : 0;
  } finally {
    await sandbox?.close();
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
