import type { InvoiceXpressClient } from '../invoicexpress/types.ts';
import { serieNames } from './settings.ts';
import { chooseRegistered, findSerie, supersedingDefault } from './plan.ts';
import type { RolloverReadiness } from './result.ts';

export interface ReadinessOptions {
  client: InvoiceXpressClient;
  year: number;
  templates: readonly string[];
}

/** GET /rollover/{year}: read-only, one list call. Throws the client's error when the list fails. */
export async function readiness(options: ReadinessOptions): Promise<Omit<RolloverReadiness, 'runs'>> {
  const candidates = serieNames(options.templates, options.year);
  const sequences = await options.client.list();
  const superseding = supersedingDefault(sequences, candidates, options.year);
  const found =
    chooseRegistered(sequences, candidates) ?? candidates.map((name) => findSerie(sequences, name)).find((sequence) => sequence !== undefined);
  return {
    year: options.year,
    serie: found?.serie ?? null,
    exists: found !== undefined,
    registered: found?.registered ?? false,
    current: found?.isDefault ?? false,
    sequence: found ?? null,
    ...(superseding === undefined
      ? {}
      : { note: `the default is '${superseding.serie}', which the rollover leaves alone (a later year's serie or a person's choice)` }),
  };
}
