import { InvoiceXpressError } from '../../shared/invoicexpress/errors.ts';
import type { InvoiceXpressClient } from '../../shared/invoicexpress/types.ts';
import type { Sequence } from '../../shared/sequence.ts';

/**
 * An in-memory InvoiceXpress with the sandbox's semantics (create may leave AT pending, register
 * answers 422 when AT refuses or when already registered, duplicates answer serie_exists). For
 * fast plan and property tests; the HTTP behaviour is tested against the real sandbox.
 */
export interface MemoryAccount {
  client: InvoiceXpressClient;
  state: Map<number, { serie: string; registered: boolean; isDefault: boolean }>;
  calls: string[];
  /** Names AT refuses to register. */
  refuse: Set<string>;
  /** Create registers at once (AT answers) unless the name is refused or this is false. */
  registerOnCreate: boolean;
  add(serie: string, init: { registered: boolean; isDefault?: boolean }): number;
  series(): string[];
}

export function memoryAccount(options: { registerOnCreate?: boolean; refuse?: Iterable<string> } = {}): MemoryAccount {
  const state = new Map<number, { serie: string; registered: boolean; isDefault: boolean }>();
  const calls: string[] = [];
  let nextId = 1000;

  const toSequence = (id: number): Sequence => {
    const entry = state.get(id);
    if (!entry) throw new InvoiceXpressError({ kind: 'not_found', operation: 'get', status: 404, message: 'not found' });
    return {
      id,
      serie: entry.serie,
      isDefault: entry.isDefault,
      registered: entry.registered,
      documents: {
        invoice: {
          sequenceId: id,
          lastNumber: 0,
          validationCode: entry.registered ? `MEM${String(id)}` : null,
          atcud: entry.registered ? 'registered' : 'pending',
        },
        fees_note: { sequenceId: id + 1, lastNumber: 0, validationCode: null, atcud: 'not_applicable' },
      },
    };
  };

  const account: MemoryAccount = {
    state,
    calls,
    refuse: new Set(options.refuse),
    registerOnCreate: options.registerOnCreate ?? true,
    add(serie, init) {
      const id = nextId;
      nextId += 10;
      if (init.isDefault) for (const entry of state.values()) entry.isDefault = false;
      state.set(id, { serie, registered: init.registered, isDefault: init.isDefault ?? false });
      return id;
    },
    series: () => [...state.values()].map((entry) => entry.serie),
    client: {
      list() {
        calls.push('list');
        return Promise.resolve([...state.keys()].map(toSequence));
      },
      get(id) {
        calls.push('get');
        return Promise.resolve(toSequence(id));
      },
      create({ serie, isDefault }) {
        calls.push('create');
        if ([...state.values()].some((entry) => entry.serie === serie)) {
          return Promise.reject(
            new InvoiceXpressError({ kind: 'serie_exists', operation: 'create', status: 422, messages: ['Serie has already been taken'], message: 'taken' }),
          );
        }
        const id = account.add(serie, { registered: account.registerOnCreate && !account.refuse.has(serie), isDefault });
        return Promise.resolve(toSequence(id));
      },
      register(id) {
        calls.push('register');
        const entry = state.get(id);
        if (!entry) return Promise.reject(new InvoiceXpressError({ kind: 'not_found', operation: 'register', status: 404, message: 'not found' }));
        if (entry.registered || account.refuse.has(entry.serie)) {
          const said = entry.registered ? 'All Sequences are registered in AT.' : `AT refused ${entry.serie}`;
          return Promise.reject(new InvoiceXpressError({ kind: 'rejected', operation: 'register', status: 422, messages: [said], message: said }));
        }
        entry.registered = true;
        return Promise.resolve();
      },
      setCurrent(id) {
        calls.push('set_current');
        if (!state.has(id)) return Promise.reject(new InvoiceXpressError({ kind: 'not_found', operation: 'set_current', status: 404, message: 'not found' }));
        for (const [otherId, entry] of state) entry.isDefault = otherId === id;
        return Promise.resolve();
      },
    },
  };
  return account;
}
