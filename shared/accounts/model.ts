import * as z from '../zod.ts';
import { DEFAULT_TIME_ZONE, isValidTimeZone } from '../rollover/time.ts';
import { serieTemplateListProblems, serieTemplateProblem, SerieFamilyListSchema } from '../rollover/settings.ts';

/**
 * The InvoiceXpress accounts one deployment serves besides its default account (the stage's own
 * secret): each a record in the registry (registry.ts) and its API key in a Secrets Manager secret
 * of its own (secrets.ts). The key is never part of a record, an answer or a log line.
 */

/** An account's name as the registry keys it: the lowercase host label before `.app.invoicexpress.com`. */
export const RegistryAccountNameSchema = z
  .string()
  .check(
    z.regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be an InvoiceXpress account name in lowercase (a host label: a-z, 0-9, -; 1 to 63 characters)'),
  );

const LabelsSchema = z
  .record(z.string().check(z.regex(/^[A-Za-z0-9_.:/-]{1,64}$/, 'a label name is 1 to 64 letters, digits or _ . : / -')), z.string().check(z.maxLength(256)))
  .check(z.refine((labels) => Object.keys(labels).length <= 20, 'at most 20 labels'));

const AccountTimeZoneSchema = z.string().check(z.refine(isValidTimeZone, { message: 'must be an IANA time zone such as Europe/Lisbon or Atlantic/Azores' }));

const SerieTemplateListSchema = z.array(z.string()).check(
  z.minLength(1),
  z.superRefine((templates, context) => {
    for (const message of serieTemplateListProblems(templates)) context.addIssue({ code: 'custom', message });
    templates.forEach((template, index) => {
      const problem = serieTemplateProblem(template);
      if (problem !== undefined) context.addIssue({ code: 'custom', path: [index], message: `"${template}" ${problem}` });
    });
  }),
);

/** An account as the registry keeps it (and the admin routes answer it). */
export const AccountRecordSchema = z.object({
  account: RegistryAccountNameSchema,
  timeZone: AccountTimeZoneSchema.check(z.describe("The IANA time zone that decides the account's year and its rollover times (default Europe/Lisbon)")),
  serieTemplates: z
    .optional(z.array(z.string()))
    .check(z.describe("The account's serie name templates in order; absent: the stage's (SERIE_TEMPLATES / SERIE_FAMILIES)")),
  serieFamilies: z
    .optional(z.array(z.object({ name: z.string(), templates: z.array(z.string()), default: z.boolean() })))
    .check(z.describe("The account's families of series; replaces serieTemplates")),
  enabled: z.boolean().check(z.describe('False once deleted (DELETE): no route reaches it and no rollover runs for it; its runs stay on record')),
  labels: z.record(z.string(), z.string()),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  disabledAt: z.optional(z.iso.datetime()),
  secretDeletionDate: z
    .optional(z.iso.datetime())
    .check(z.describe('When Secrets Manager deletes the key of a deleted account (a PUT before then restores it)')),
});
export type AccountRecord = z.infer<typeof AccountRecordSchema>;

/**
 * PUT /accounts/{account}: the key (checked with InvoiceXpress before it is stored) and the
 * settings. On an existing account the fields left out keep their value (a key rotation sends only
 * `apiKey`); `null` puts serieTemplates / serieFamilies back to the stage's.
 */
export const PutAccountBodySchema = z
  .strictObject({
    apiKey: z
      .string()
      .check(z.regex(/^[\x21-\x7e]{1,256}$/, 'must be the InvoiceXpress API key: 1 to 256 visible ASCII characters, no spaces'))
      .check(z.describe('The API key (InvoiceXpress, Settings > API); write-only, never answered')),
    timeZone: z.optional(AccountTimeZoneSchema),
    serieTemplates: z.optional(z.nullable(SerieTemplateListSchema)),
    serieFamilies: z.optional(z.nullable(SerieFamilyListSchema)),
    enabled: z.optional(z.boolean()),
    labels: z.optional(LabelsSchema),
  })
  .check(
    z.refine((body) => !(body.serieTemplates != null && body.serieFamilies != null), {
      message: 'set serieTemplates or serieFamilies, not both',
      path: ['serieFamilies'],
    }),
  );
export type PutAccountBody = z.infer<typeof PutAccountBodySchema>;

/** The record a PUT leaves: the body over what was stored (or the defaults), never the key. */
export function accountAfterPut(account: string, body: PutAccountBody, stored: AccountRecord | undefined, now: string): AccountRecord {
  const base: AccountRecord = stored ?? { account, timeZone: DEFAULT_TIME_ZONE, enabled: true, labels: {}, createdAt: now, updatedAt: now };
  const { account: name, timeZone, createdAt, serieTemplates, serieFamilies } = base;
  const kept = { account: name, timeZone, createdAt };
  const naming =
    body.serieTemplates !== undefined || body.serieFamilies !== undefined
      ? {
          ...(body.serieTemplates == null ? {} : { serieTemplates: body.serieTemplates }),
          ...(body.serieFamilies == null ? {} : { serieFamilies: body.serieFamilies }),
        }
      : { ...(serieTemplates === undefined ? {} : { serieTemplates }), ...(serieFamilies === undefined ? {} : { serieFamilies }) };
  // A PUT brings a deleted account back unless it says otherwise; otherwise `enabled` keeps its value.
  const enabled = body.enabled ?? (base.secretDeletionDate !== undefined ? true : base.enabled);
  return {
    ...kept,
    ...naming,
    timeZone: body.timeZone ?? base.timeZone,
    labels: body.labels ?? base.labels,
    enabled,
    ...(enabled ? {} : { disabledAt: base.disabledAt ?? now }),
    updatedAt: now,
  };
}
