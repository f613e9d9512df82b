import type { InvoiceXpressClient } from '../invoicexpress/types.ts';
import type { Sequence } from '../sequences/sequence.ts';
import { serieNames } from './settings.ts';
import { runOrder, singleFamily } from './families.ts';
import type { SerieFamily } from './families.ts';
import { chooseRegistered, findSerie, supersedingDefault } from './plan.ts';
import type { RolloverFamilyReadiness, RolloverReadiness } from './result.ts';

export interface ReadinessOptions {
  client: InvoiceXpressClient;
  year: number;
  /** The one family "main" when `families` is absent. */
  templates?: readonly string[] | undefined;
  families?: readonly SerieFamily[] | undefined;
}

/** The serie the rollover would use within the candidates: a registered one (the default first), else the first that exists. */
function foundIn(sequences: readonly Sequence[], candidates: readonly string[]): Sequence | undefined {
  return chooseRegistered(sequences, candidates) ?? candidates.map((name) => findSerie(sequences, name)).find((sequence) => sequence !== undefined);
}

function familyReadiness(family: SerieFamily, sequences: readonly Sequence[], year: number): RolloverFamilyReadiness {
  const found = foundIn(sequences, serieNames(family.templates, year));
  const registered = found?.registered ?? false;
  const isDefault = found?.isDefault ?? false;
  return {
    family: family.name,
    default: family.default,
    serie: found?.serie ?? null,
    exists: found !== undefined,
    registered,
    ...(family.default ? { isDefault } : {}),
    ready: registered && (!family.default || isDefault),
    sequence: found ?? null,
  };
}

/**
 * GET /rollover/{year}: read-only, one list call. The top-level fields are the default family's
 * (else the first family's); `families` has every family. Throws the client's error when the list fails.
 */
export async function readiness(options: ReadinessOptions): Promise<Omit<RolloverReadiness, 'runs'>> {
  const families = runOrder(options.families ?? singleFamily(options.templates ?? []));
  const sequences = await options.client.list();
  const lead = families[0];
  const candidates = lead === undefined ? [] : serieNames(lead.templates, options.year);
  const superseding = lead?.default === true ? supersedingDefault(sequences, candidates, options.year) : undefined;
  const found = foundIn(sequences, candidates);
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
    families: families.map((family) => familyReadiness(family, sequences, options.year)),
  };
}
