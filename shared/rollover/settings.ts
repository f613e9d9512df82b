import * as z from '../zod.ts';
import { BaseEnvSchema, RunTableNameSchema } from '../runtime/env.ts';
import { SerieNameSchema } from '../sequences/sequence.ts';
import { DEFAULT_TIME_ZONE, isValidTimeZone } from './time.ts';
import { FamilyNameSchema, familiesProblems, singleFamily } from './families.ts';
import type { SerieFamily } from './families.ts';

/** The primary name, then the fallbacks used when AT refuses to register an earlier one. */
export const DEFAULT_SERIE_TEMPLATE_LIST: readonly string[] = ['{year}', '{year}B', '{year}C'];
const DEFAULT_SERIE_TEMPLATES = DEFAULT_SERIE_TEMPLATE_LIST.join(',');
const YEAR_PLACEHOLDER = '{year}';
/** The two-digit year ("27" for 2027). */
const YY_PLACEHOLDER = '{yy}';
/** Years are four digits (the input allows 2000-2999): checking with the widest year checks them all. */
const WIDEST_YEAR = 2999;

/** What is wrong with a serie name (the API's own rule), or undefined when InvoiceXpress/AT should accept it. */
export function serieNameProblem(name: string): string | undefined {
  return SerieNameSchema.safeParse(name).error?.issues[0]?.message;
}

/** The serie names for a year, in configured order (the first is preferred). */
export function serieNames(templates: readonly string[], year: number): string[] {
  const yy = String(year % 100).padStart(2, '0');
  return templates.map((template) => template.replaceAll(YEAR_PLACEHOLDER, String(year)).replaceAll(YY_PLACEHOLDER, yy));
}

/** What is wrong with one serie name template, or undefined (the functions' rule; the stack's configuration checks with it too). */
export function serieTemplateProblem(template: string): string | undefined {
  if (!template.includes(YEAR_PLACEHOLDER) && !template.includes(YY_PLACEHOLDER)) return `must contain ${YEAR_PLACEHOLDER} or ${YY_PLACEHOLDER}`;
  if (/[{}]/.test(template.replaceAll(YEAR_PLACEHOLDER, '').replaceAll(YY_PLACEHOLDER, ''))) {
    return `may use no placeholder but ${YEAR_PLACEHOLDER} and ${YY_PLACEHOLDER}`;
  }
  const nameProblem = serieNameProblem(serieNames([template], WIDEST_YEAR)[0] ?? '');
  return nameProblem === undefined ? undefined : `gives a serie name InvoiceXpress would refuse: ${nameProblem}`;
}

/** What is wrong with the list as a whole (each template is checked on its own by serieTemplateProblem). */
export function serieTemplateListProblems(templates: readonly string[]): string[] {
  return [...(templates.length > 10 ? ['at most 10 templates'] : []), ...(new Set(templates).size === templates.length ? [] : ['templates must differ'])];
}

const SerieTemplatesSchema = z
  .pipe(
    z._default(z.string(), DEFAULT_SERIE_TEMPLATES),
    z.transform((text: string) => text.split(',').map((part) => part.trim())),
  )
  .check(
    z.superRefine((templates, context) => {
      for (const message of serieTemplateListProblems(templates)) context.addIssue({ code: 'custom', message });
      templates.forEach((template, index) => {
        const problem = serieTemplateProblem(template);
        if (problem !== undefined) context.addIssue({ code: 'custom', message: `template ${String(index + 1)} "${template}" ${problem}` });
      });
    }),
    z.describe('Comma-separated serie name templates, tried in order; each contains {year} or {yy}'),
  );

/** Every problem of the families: each template on its own, then the families as a whole. */
function addFamilyIssues(families: readonly SerieFamily[], context: { addIssue: (issue: { code: 'custom'; message: string }) => void }): void {
  for (const family of families) {
    for (const message of serieTemplateListProblems(family.templates)) context.addIssue({ code: 'custom', message: `family "${family.name}": ${message}` });
    family.templates.forEach((template, index) => {
      const problem = serieTemplateProblem(template);
      if (problem !== undefined)
        context.addIssue({ code: 'custom', message: `family "${family.name}" template ${String(index + 1)} "${template}" ${problem}` });
    });
  }
  for (const message of familiesProblems(families)) context.addIssue({ code: 'custom', message });
}

const SerieFamilyInputSchema = z.strictObject({
  name: FamilyNameSchema,
  templates: z.array(z.string()).check(z.minLength(1)),
  default: z._default(z.boolean(), false),
});

/** The families as a value (the stage configuration's serieFamilies, and SERIE_FAMILIES once parsed). */
export const SerieFamilyListSchema = z.array(SerieFamilyInputSchema).check(z.superRefine(addFamilyIssues));

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const SerieFamiliesSchema = z
  .optional(
    z.pipe(
      z.pipe(
        z.string().check(z.refine(isJson, 'must be JSON: [{"name", "templates": [...], "default"?: true}]')),
        z.transform((text: string): unknown => JSON.parse(text)),
      ),
      SerieFamilyListSchema,
    ),
  )
  .check(z.describe('JSON list of serie families [{"name","templates":[...],"default"?:true}]; replaces SERIE_TEMPLATES when set'));

/** The families a run works on: SERIE_FAMILIES, else SERIE_TEMPLATES as the one default family "main". */
export function familiesOf(settings: { SERIE_TEMPLATES: readonly string[]; SERIE_FAMILIES?: readonly SerieFamily[] | undefined }): SerieFamily[] {
  return settings.SERIE_FAMILIES === undefined ? singleFamily(settings.SERIE_TEMPLATES) : [...settings.SERIE_FAMILIES];
}

export const TimeZoneSchema = z
  ._default(z.string(), DEFAULT_TIME_ZONE)
  .check(z.refine(isValidTimeZone, { message: 'must be an IANA time zone such as Europe/Lisbon' }));

/** Rollover settings on their own (the CLI reads them without the AWS-only variables). */
export const RolloverSettingsSchema = z.object({
  SERIE_TEMPLATES: SerieTemplatesSchema,
  SERIE_FAMILIES: SerieFamiliesSchema,
  ROLLOVER_TIME_ZONE: TimeZoneSchema,
});

/** An InvoiceXpress account's name: the host label before `.app.invoicexpress.com`. */
export const AccountNameSchema = z
  .string()
  .check(z.regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i, 'must be an InvoiceXpress account name (a host label: letters, digits, -)'));

/** Where the rollover's locks and run records are: the table, and the account its keys start with. */
export const RunTableEnvSchema = z.object({
  /** The run table: locks and run records (DynamoDB; dynalite locally). */
  ROLLOVER_TABLE_NAME: RunTableNameSchema,
  /** The environment's InvoiceXpress account (configuration, not the secret): it keys the run table. */
  IX_ACCOUNT_NAME: AccountNameSchema,
});

/** Environment of the rollover functions that call InvoiceXpress (the schedules' target, POST /rollover, GET /rollover/{year}). */
export const RolloverEnvSchema = z.extend(BaseEnvSchema, {
  ...RolloverSettingsSchema.shape,
  ...RunTableEnvSchema.shape,
});
export type RolloverEnv = z.output<typeof RolloverEnvSchema>;
