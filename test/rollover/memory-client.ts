import { InvoiceXpressError } from '../../shared/invoicexpress/errors.ts';
import type { Refusal } from '../../shared/invoicexpress/refusals.ts';
import type { InvoiceXpressClient } from '../../shared/invoicexpress/types.ts';
import type { Sequence } from '../../shared/sequences/sequence.ts';

/**
 * An in-memory InvoiceXpress with the sandbox's semantics, for fast plan and property tests (the
 * HTTP behaviour is tested against the real sandbox): create may leave AT pending; register answers
 * 422 with the refusal table's codes (007 already registered, 001 name refused, 004 account-wide);
 * duplicates answer serie_exists; the list can hide the document fields of some sequences, and
 * some sequences can come with an incomplete document type.
 */
interface MemoryEntry {
  serie: string;
  registered: boolean;
  isDefault: boolean;
  /** The list answers this sequence without its current_* fields (get still has them). */
  hiddenInList: boolean;
  /** Every answer has a document type with its number but no sequence id (status unknown). */
  incomplete: boolean;
}

export interface MemoryAccount {
  client: InvoiceXpressClient;
  state: Map<number, MemoryEntry>;
  calls: string[];
  /** Names AT refuses to register (code 001). */
  refuse: Set<string>;
  /** Every register fails for the whole account (code 004: AT credentials). */
  accountFailure: boolean;
  /** Create registers at once (AT answers) unless the name is refused, the account fails, or this is false. */
  registerOnCreate: boolean;
  add(serie: string, init: { registered: boolean; isDefault?: boolean; hiddenInList?: boolean; incomplete?: boolean }): number;
  series(): string[];
  defaultSerie(): string | undefined;
}

function refusal(operation: 'register', refusal: Refusal, code: string, message: string): InvoiceXpressError {
  return new InvoiceXpressError({ kind: 'rejected', operation, status: 422, codes: [code], messages: [message], refusal, message });
}

export function memoryAccount(options: { registerOnCreate?: boolean; refuse?: Iterable<string>; accountFailure?: boolean } = {}): MemoryAccount {
  const state = new Map<number, MemoryEntry>();
  const calls: string[] = [];
  let nextId = 1000;

  const toSequence = (id: number, fromList: boolean): Sequence => {
    const entry = state.get(id);
    if (!entry) throw new InvoiceXpressError({ kind: 'not_found', operation: 'get', status: 404, message: 'not found' });
    const documents: Sequence['documents'] =
      fromList && entry.hiddenInList
        ? {}
        : {
            invoice: {
              sequenceId: id,
              lastNumber: 0,
              validationCode: entry.registered ? `MEM${String(id)}` : null,
              atcud: entry.registered ? 'registered' : 'pending',
            },
            fees_note: { sequenceId: id + 1, lastNumber: 0, validationCode: null, atcud: 'not_applicable' },
            ...(entry.incomplete ? { receipt: { sequenceId: null, lastNumber: 3, validationCode: null, atcud: 'unknown' as const } } : {}),
          };
    const registered = Object.keys(documents).length > 0 && entry.registered && !entry.incomplete;
    return { id, serie: entry.serie, isDefault: entry.isDefault, registered, documents };
  };

  const account: MemoryAccount = {
    state,
    calls,
    refuse: new Set(options.refuse),
    accountFailure: options.accountFailure ?? false,
    registerOnCreate: options.registerOnCreate ?? true,
    add(serie, init) {
      const id = nextId;
      nextId += 10;
      if (init.isDefault) for (const entry of state.values()) entry.isDefault = false;
      state.set(id, {
        serie,
        registered: init.registered,
        isDefault: init.isDefault ?? false,
        hiddenInList: init.hiddenInList ?? false,
        incomplete: init.incomplete ?? false,
      });
      return id;
    },
    series: () => [...state.values()].map((entry) => entry.serie),
    defaultSerie: () => [...state.values()].find((entry) => entry.isDefault)?.serie,
    client: {
      list() {
        calls.push('list');
        return Promise.resolve([...state.keys()].map((id) => toSequence(id, true)));
      },
      get(id) {
        calls.push(`get ${String(id)}`);
        return Promise.resolve(toSequence(id, false));
      },
      create({ serie, isDefault }) {
        calls.push('create');
        if ([...state.values()].some((entry) => entry.serie === serie)) {
          return Promise.reject(
            new InvoiceXpressError({ kind: 'serie_exists', operation: 'create', status: 422, messages: ['Serie has already been taken'], message: 'taken' }),
          );
        }
        const registered = account.registerOnCreate && !account.refuse.has(serie) && !account.accountFailure;
        return Promise.resolve(toSequence(account.add(serie, { registered, isDefault }), false));
      },
      register(id) {
        calls.push('register');
        const entry = state.get(id);
        if (!entry) return Promise.reject(new InvoiceXpressError({ kind: 'not_found', operation: 'register', status: 404, message: 'not found' }));
        if (entry.registered) return Promise.reject(refusal('register', 'already_registered', '007', 'All Sequences are registered in AT.'));
        if (account.accountFailure) return Promise.reject(refusal('register', 'account', '004', 'AT credentials are not configured'));
        if (account.refuse.has(entry.serie)) return Promise.reject(refusal('register', 'name_refused', '001', 'Sequence name not allowed.'));
        entry.registered = true;
        return Promise.resolve();
      },
      setCurrent(id) {
        calls.push(`set_current ${String(id)}`);
        if (!state.has(id)) return Promise.reject(new InvoiceXpressError({ kind: 'not_found', operation: 'set_current', status: 404, message: 'not found' }));
        for (const [otherId, entry] of state) entry.isDefault = otherId === id;
        return Promise.resolve();
      },
    },
  };
  return account;
}
