import { startSandbox } from '../sandbox/server.ts';
import { createInvoiceXpressClient } from '../shared/invoicexpress/client.ts';
import type { SerieFamily } from '../shared/rollover/families.ts';
import { runRollover } from '../shared/rollover/rollover.ts';
import { Deadline } from '../shared/runtime/deadline.ts';

/**
 * InvoiceXpress calls per family of series (issue 19): three families from `2026` (the default),
 * `FR2026` and `B2B26`, against the sandbox (AT registers at create), the engine the functions run
 * (no lock: the calls are the same). `run` is the run's one list; each family counts its own calls.
 */

const FAMILIES: SerieFamily[] = [
  { name: 'main', templates: ['{year}', '{year}B'], default: true },
  { name: 'web', templates: ['FR{year}', 'FR{year}B'], default: false },
  { name: 'b2b', templates: ['B2B{yy}', 'B2B{yy}B'], default: false },
];

type Calls = Record<'list' | 'get' | 'create' | 'register' | 'set_current', number>;
const NONE: Calls = { list: 0, get: 0, create: 0, register: 0, set_current: 0 };

export interface FamilyCalls {
  phase: 'prepare' | 'activate';
  run: Calls;
  families: { family: string; serie: string; outcome: string; calls: Calls }[];
}

export async function measureFamilyCalls(year = 2027): Promise<FamilyCalls[]> {
  const sandbox = await startSandbox({
    seed: [{ serie: String(year - 1), default: true }, { serie: `FR${String(year - 1)}` }, { serie: `B2B${String((year - 1) % 100)}` }],
  });
  try {
    const client = createInvoiceXpressClient({ accountName: sandbox.accountName, apiKey: sandbox.apiKey, baseUrl: sandbox.url });
    const runs: FamilyCalls[] = [];
    for (const phase of ['prepare', 'activate'] as const) {
      const deadline = Deadline.in(20_000);
      const result = await runRollover({
        client: client.withPolicy({ deadline }),
        phase,
        year,
        dryRun: false,
        families: FAMILIES,
        deadline,
        now: () => new Date(),
      });
      const families = (result.families ?? []).map((entry) => ({
        family: entry.family,
        serie: entry.serie,
        outcome: entry.outcome,
        calls: { ...NONE, ...entry.calls },
      }));
      const own = families.reduce((sum, entry) => sum + entry.calls.list, 0);
      const total = { ...NONE, ...result.calls };
      runs.push({ phase, run: { ...NONE, list: total.list - own }, families });
    }
    return runs;
  } finally {
    await sandbox.close();
  }
}
