/**
 * What a 409/422 from InvoiceXpress on create or register means, decided in one place.
 *
 * None of this is in InvoiceXpress's official pages: the codes and wordings come from client
 * libraries' recorded answers, integrations' comments and the help centre (see
 * docs/invoicexpress.md). So the table is conservative: only an answer that refuses THIS serie
 * name lets the rollover move on to another name; an account-wide problem or anything unknown
 * fails the run and touches no other name.
 */
export type Refusal =
  /** The serie is already registered with AT (code 007): nothing to do, read the state. */
  | 'already_registered'
  /** Create: a serie with this name exists: read the state. */
  | 'serie_taken'
  /** AT or InvoiceXpress refused this name (code 001, "name not allowed/invalid"): a new name is the remedy. */
  | 'name_refused'
  /** Account-wide (code 004, AT credentials, sub-user permission, trial account): no other name would fare better. */
  | 'account'
  /** AT is still processing an earlier request: read the state later, send nothing more. */
  | 'in_progress'
  /** Anything else (code 000 "Unknown error", placeholder codes 008/009, wordings never seen). */
  | 'unknown';

interface Rule {
  refusal: Exclude<Refusal, 'unknown'>;
  codes: readonly string[];
  wordings: readonly RegExp[];
}

/**
 * In order of precedence: when answers disagree (a name refusal that blames AT credentials), the
 * rule that changes the least wins.
 */
const REFUSAL_RULES: readonly Rule[] = [
  {
    refusal: 'account',
    codes: ['004'],
    wordings: [
      /credenciais/i,
      /credentials?/i,
      /sub-?utilizador/i,
      /sub-?user/i,
      /webservice/i,
      /permiss(ão|ao|ões|oes)/i,
      /permission/i,
      /\btrial\b/i,
      /conta de (teste|demonstra[çc][ãa]o)/i,
      /per[ií]odo (de teste|experimental)/i,
    ],
  },
  {
    refusal: 'in_progress',
    codes: [],
    wordings: [/em processamento/i, /a ser processad/i, /being processed/i, /\bin progress\b/i],
  },
  {
    refusal: 'already_registered',
    codes: ['007'],
    wordings: [/all sequences are registered/i, /already registered/i, /j[áa] (est[áa]|se encontra)m? (registad|comunicad)/i],
  },
  {
    refusal: 'serie_taken',
    codes: [],
    wordings: [/has already been taken/i, /already exists/i, /j[áa] existe/i, /j[áa] est[áa] a ser utilizad/i],
  },
  {
    refusal: 'name_refused',
    codes: ['001'],
    wordings: [
      /sequence name (is )?not allowed/i,
      /sequence name is invalid/i,
      /nome da s[ée]rie (n[ãa]o [ée] permitido|[ée] inv[áa]lido|inv[áa]lido)/i,
      /(recusou|rejeitou) a (comunica[çc][ãa]o da )?s[ée]rie/i,
      /s[ée]rie [^.;]{0,40}(recusad|rejeitad)/i,
      /serie [^.;]{0,40}(refused|rejected)/i,
    ],
  },
];

/** The meaning of a refusal, from InvoiceXpress's error codes and messages (already free of secrets). */
export function classifyRefusal(answer: { codes: readonly string[]; messages: readonly string[] }): Refusal {
  for (const rule of REFUSAL_RULES) {
    if (answer.codes.some((code) => rule.codes.includes(code))) return rule.refusal;
    if (answer.messages.some((message) => rule.wordings.some((wording) => wording.test(message)))) return rule.refusal;
  }
  return 'unknown';
}
