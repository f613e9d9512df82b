import { describe, expect, it } from 'vitest';
import { classifyRefusal } from '../../shared/invoicexpress/refusals.ts';
import type { Refusal } from '../../shared/invoicexpress/refusals.ts';

/**
 * The one table that decides what a 409/422 on create or register means. Only a refusal that
 * names the serie may move the rollover to another name; anything account-wide or unknown must
 * stop it. Wordings from the reference notes, in English and Portuguese.
 */
const cases: [string, { codes?: string[]; messages?: string[] }, Refusal][] = [
  ['code 007', { codes: ['007'], messages: ['All Sequences are registered in AT.'] }, 'already_registered'],
  ['"already registered" without a code', { messages: ['A série já está registada na AT'] }, 'already_registered'],
  ['code 001', { codes: ['001'], messages: ['Sequence name not allowed.'] }, 'name_refused'],
  ['"The sequence name is invalid"', { messages: ['The sequence name is invalid'] }, 'name_refused'],
  ['Portuguese name refusal', { messages: ['O nome da série não é permitido'] }, 'name_refused'],
  ['AT refused the serie (pt)', { messages: ['A AT recusou a comunicação da série'] }, 'name_refused'],
  ['"Serie has already been taken"', { messages: ['Serie has already been taken'] }, 'serie_taken'],
  ['"já existe"', { messages: ['A série já existe'] }, 'serie_taken'],
  ['"já está a ser utilizada"', { messages: ['Esta série já está a ser utilizada'] }, 'serie_taken'],
  ['code 004', { codes: ['004'], messages: ['Unable to communicate'] }, 'account'],
  ['AT credentials (en)', { messages: ['AT credentials are not configured'] }, 'account'],
  ['AT credentials (pt)', { messages: ['As credenciais da AT são inválidas'] }, 'account'],
  ['sub-user permission', { messages: ['O subutilizador não tem permissão para o webservice de séries'] }, 'account'],
  ['trial account', { messages: ['Trial accounts cannot communicate with AT'] }, 'account'],
  ['a name refusal that blames the credentials', { codes: ['001'], messages: ['Sequence name not allowed: invalid AT credentials'] }, 'account'],
  ['"pedido em processamento"', { messages: ['Pedido em processamento'] }, 'in_progress'],
  ['code 000', { codes: ['000'], messages: ['Unknown error.'] }, 'unknown'],
  ['placeholder code 008', { codes: ['008'], messages: ['Invalid.'] }, 'unknown'],
  ['placeholder code 009', { codes: ['009'], messages: ['Conflict.'] }, 'unknown'],
  ['a wording never seen', { messages: ['Something odd happened'] }, 'unknown'],
  ['no body at all', {}, 'unknown'],
];

describe('classifyRefusal', () => {
  it.each(cases)('%s → %s', (_name, answer, expected) => {
    expect(classifyRefusal({ codes: answer.codes ?? [], messages: answer.messages ?? [] })).toBe(expected);
  });
});
