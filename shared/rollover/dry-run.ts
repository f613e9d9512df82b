import type { Sequence } from '../sequences/sequence.ts';
import { decide, markDefault, upsert } from './plan.ts';
import type { Decision, PlanState } from './plan.ts';
import type { RolloverStep } from './result.ts';

/**
 * What a real run would do from this state if every call succeeded and AT accepted the first name
 * it tried: the plan's decisions, carried out on a copy of the state. Nothing is called.
 */
export interface Simulation {
  steps: RolloverStep[];
  /** The decision the simulated run ends on: done, leave_alone or stop. */
  end: Extract<Decision, { type: 'done' | 'leave_alone' | 'stop' }>;
}

/** More decisions than any run needs; guards against a plan that would not settle. */
const MAX_DECISIONS = 20;

function assumedRegistered(serie: string, id: number): Sequence {
  const document = { sequenceId: id, lastNumber: 0, validationCode: 'PLANNED', atcud: 'registered' as const };
  return { id, serie, isDefault: false, registered: true, documents: { invoice: document } };
}

export function simulate(initial: PlanState): Simulation {
  const steps: RolloverStep[] = [];
  const planned = (action: RolloverStep['action'], serie: string, detail: string): void => {
    steps.push({ action, status: 'planned', serie, detail });
  };
  let state: PlanState = { ...initial, fresh: new Set(initial.fresh) };
  for (let count = 0; count < MAX_DECISIONS; count++) {
    const decision = decide(state);
    switch (decision.type) {
      case 'done':
      case 'leave_alone':
      case 'stop':
        if (steps.length > 0 && decision.type === 'done') {
          planned('verify', decision.sequence.serie, `read '${decision.sequence.serie}' back: registered${state.phase === 'prepare' ? '' : ' and default'}`);
        }
        return { steps, end: decision };
      case 'read':
        planned('read', decision.sequence.serie, `read '${decision.sequence.serie}' (id ${String(decision.sequence.id)}): ${decision.why}`);
        state = { ...state, fresh: new Set([...state.fresh, decision.sequence.id]) };
        break;
      case 'create': {
        planned('create', decision.serie, `create '${decision.serie}' with default_sequence 0`);
        planned('register', decision.serie, `register '${decision.serie}' with AT if any document type is still pending after create`);
        const created = assumedRegistered(decision.serie, -1 - count);
        state = { ...state, sequences: upsert(state.sequences, created), fresh: new Set([...state.fresh, created.id]), created: state.created + 1 };
        break;
      }
      case 'register': {
        const { sequence } = decision;
        planned('register', sequence.serie, `register '${sequence.serie}' (id ${String(sequence.id)}) with AT: document types pending`);
        const registered = { ...assumedRegistered(sequence.serie, sequence.id), isDefault: sequence.isDefault };
        state = { ...state, sequences: upsert(state.sequences, registered), fresh: new Set([...state.fresh, sequence.id]) };
        break;
      }
      case 'set_current':
        planned('set_current', decision.sequence.serie, `make '${decision.sequence.serie}' (id ${String(decision.sequence.id)}) the default sequence`);
        state = { ...state, sequences: markDefault(state.sequences, decision.sequence.id) };
        break;
    }
  }
  throw new Error('the rollover plan did not settle (internal guard)');
}
