import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { yearIn } from '../../shared/rollover/time.ts';
import { stackHttp } from '../support/json-http.ts';
import { startLocalStack } from '../support/local-stack.ts';
import type { LocalStack } from '../support/local-stack.ts';

/**
 * Three families of series through what `npm start` runs (issue 19): the default "main" family
 * ("2026"), a web shop's ("FR2026") and B2B's ("B2B26", two-digit years), set with SERIE_FAMILIES;
 * the sandbox set up only through its control endpoint. Next year: `NEXT`.
 */

const NOW = yearIn(new Date());
const NEXT = NOW + 1;
const yy = (year: number): string => String(year % 100).padStart(2, '0');
const FAMILIES = [
  { name: 'main', templates: ['{year}', '{year}B'], default: true },
  { name: 'web', templates: ['FR{year}', 'FR{year}B'] },
  { name: 'b2b', templates: ['B2B{yy}', 'B2B{yy}B'] },
];
const [MAIN, WEB, B2B] = [String(NEXT), `FR${String(NEXT)}`, `B2B${yy(NEXT)}`];

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ apiKey: 'k-families-e2e-4b7d21', env: { REGISTER_SETTLE_MS: '300', SERIE_FAMILIES: JSON.stringify(FAMILIES) } });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(async () => {
  await control('POST', '/reset');
  await control('PUT', '/sequences', { seed: [{ serie: String(NOW), default: true }, { serie: `FR${String(NOW)}` }, { serie: `B2B${yy(NOW)}` }] });
});

const { api, control } = stackHttp(() => stack);

interface RawSequence {
  id: number;
  serie: string;
  default_sequence: number;
  [field: string]: unknown;
}
interface Calls {
  list: number;
  get: number;
  create: number;
  register: number;
  set_current: number;
}
interface FamilyResult {
  family: string;
  serie: string;
  outcome: string;
  calls: Calls;
  fallback?: { from: string };
}

async function account(): Promise<RawSequence[]> {
  return (await control('GET', '/state')).json['sequences'] as RawSequence[];
}
const isRegistered = (sequence: RawSequence | undefined): boolean =>
  sequence !== undefined && Object.entries(sequence).some(([key, value]) => key.endsWith('_validation_code') && value !== 'N/D');
const defaultSerie = async (): Promise<string | undefined> => (await account()).find((sequence) => sequence.default_sequence === 1)?.serie;
async function operations(): Promise<string[]> {
  const { requests } = (await control('GET', '/requests')).json as { requests: { operation: string }[] };
  return requests.map((request) => request.operation);
}
const familiesOf = (json: Record<string, unknown>): Map<string, FamilyResult> =>
  new Map((json['families'] as FamilyResult[]).map((family) => [family.family, family]));

/** The calls one run made, per family and for the run (its one list), for the report. */
function callFigures(json: Record<string, unknown>): Record<string, Calls> {
  return { run: json['calls'] as Calls, ...Object.fromEntries([...familiesOf(json)].map(([name, family]) => [name, family.calls])) };
}

describe('three families of series through npm start (SERIE_FAMILIES)', () => {
  it(`prepare ${String(NEXT)} creates and registers one serie per family and leaves ${String(NOW)} the default; activate switches only the default family's`, async () => {
    const prepare = await api('POST', '/rollover', { phase: 'prepare', year: NEXT });
    expect(prepare.status).toBe(200);
    expect(prepare.json).toMatchObject({ outcome: 'ready', serie: MAIN });
    expect([...familiesOf(prepare.json)].map(([name, family]) => `${name}:${family.serie}:${family.outcome}`)).toEqual([
      `main:${MAIN}:ready`,
      `web:${WEB}:ready`,
      `b2b:${B2B}:ready`,
    ]);
    const afterPrepare = await account();
    for (const serie of [MAIN, WEB, B2B]) expect(isRegistered(afterPrepare.find((sequence) => sequence.serie === serie)), serie).toBe(true);
    expect(await defaultSerie()).toBe(String(NOW));
    const prepareOperations = await operations();
    expect(prepareOperations.filter((operation) => operation === 'list')).toHaveLength(1);
    expect(prepareOperations.filter((operation) => operation === 'create')).toHaveLength(3);
    console.log(`calls, prepare ${String(NEXT)}: ${JSON.stringify(callFigures(prepare.json))}`);

    await control('DELETE', '/requests');
    const before = await account();
    const activate = await api('POST', '/rollover', { phase: 'activate', year: NEXT });
    expect(activate.json).toMatchObject({ outcome: 'activated', serie: MAIN });
    expect(await defaultSerie()).toBe(MAIN);
    // Nothing else changed: the same series, only the default flag moved.
    const after = await account();
    expect(after.map((sequence) => sequence.serie)).toEqual(before.map((sequence) => sequence.serie));
    expect(after.filter((sequence) => sequence.default_sequence === 1).map((sequence) => sequence.serie)).toEqual([MAIN]);
    const activateOperations = await operations();
    expect(activateOperations.filter((operation) => operation === 'set_current')).toHaveLength(1);
    expect(activateOperations.filter((operation) => operation === 'list')).toHaveLength(1);
    expect(activateOperations.filter((operation) => ['create', 'register'].includes(operation))).toEqual([]);
    const families = familiesOf(activate.json);
    expect(families.get('web')).toMatchObject({ outcome: 'already_done', calls: { list: 0, get: 1, create: 0, register: 0, set_current: 0 } });
    expect(families.get('b2b')).toMatchObject({ outcome: 'already_done', calls: { list: 0, get: 1, create: 0, register: 0, set_current: 0 } });
    console.log(`calls, activate ${String(NEXT)}: ${JSON.stringify(callFigures(activate.json))}`);

    const readiness = await api('GET', `/rollover/${String(NEXT)}`);
    expect(readiness.json).toMatchObject({ serie: MAIN, registered: true, current: true });
    expect(readiness.json['families']).toMatchObject([
      { family: 'main', serie: MAIN, exists: true, registered: true, isDefault: true, ready: true },
      { family: 'web', serie: WEB, exists: true, registered: true, ready: true },
      { family: 'b2b', serie: B2B, exists: true, registered: true, ready: true },
    ]);
  });

  it(`AT refusing ${WEB} gives ${WEB}B for that family only (one new serie per family per run: the next run creates it)`, async () => {
    await control('PATCH', '/at', { onRegister: 'reject', rejectSeries: [WEB] });
    const first = await api('POST', '/rollover', { phase: 'prepare', year: NEXT });
    expect(first.json).toMatchObject({ outcome: 'failed', serie: MAIN, failure: { family: 'web', kind: 'name_limit' } });
    expect([...familiesOf(first.json)].map(([name, family]) => `${name}:${family.serie}:${family.outcome}`)).toEqual([
      `main:${MAIN}:ready`,
      `web:${WEB}:failed`,
      `b2b:${B2B}:ready`,
    ]);
    const second = await api('POST', '/rollover', { phase: 'prepare', year: NEXT });
    expect(second.json).toMatchObject({ outcome: 'ready', serie: MAIN });
    expect(second.json['fallback']).toBeUndefined(); // the default family's own: none
    const families = familiesOf(second.json);
    expect(families.get('main')).toMatchObject({ serie: MAIN, outcome: 'already_done' });
    expect(families.get('web')).toMatchObject({ serie: `${WEB}B`, outcome: 'ready', fallback: { from: WEB } });
    expect(families.get('b2b')).toMatchObject({ serie: B2B, outcome: 'already_done' });
    const sequences = await account();
    expect(sequences.map((sequence) => sequence.serie).filter((serie) => serie.startsWith(String(NEXT)))).toEqual([MAIN]);
    expect(sequences.map((sequence) => sequence.serie)).toEqual(expect.arrayContaining([WEB, `${WEB}B`, B2B]));
    for (const serie of [MAIN, `${WEB}B`, B2B]) expect(isRegistered(sequences.find((sequence) => sequence.serie === serie)), serie).toBe(true);
    const steps = [...(first.json['steps'] as { family?: string; serie?: string }[]), ...(second.json['steps'] as { family?: string; serie?: string }[])];
    expect(steps.filter((step) => step.serie?.startsWith('FR')).every((step) => step.family === 'web')).toBe(true);
  });

  it('activate with a family that is not ready: the default still switches, the run fails naming the family', async () => {
    await control('PUT', '/sequences', {
      seed: [{ serie: String(NOW), default: true }, { serie: MAIN }, { serie: WEB, documents: 'pending' }, { serie: B2B }],
    });
    await control('PATCH', '/at', { onRegister: 'pending' });
    const activate = await api('POST', '/rollover', { phase: 'activate', year: NEXT });
    expect(activate.json).toMatchObject({ outcome: 'failed', serie: MAIN, failure: { family: 'web', kind: 'not_ready' } });
    expect(String((activate.json['failure'] as { message: string }).message)).toContain(`family 'web'`);
    expect(await defaultSerie()).toBe(MAIN);
    expect(familiesOf(activate.json).get('main')).toMatchObject({ outcome: 'activated' });
    expect(familiesOf(activate.json).get('b2b')).toMatchObject({ outcome: 'already_done' });
    // activate checks, it does not register: the web family's serie is still pending.
    expect(await operations()).not.toContain('register');
  });
});
