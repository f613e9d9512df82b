/**
 * InvoiceXpress's document types, in the order its docs list them: each has a sub-sequence of a
 * serie (the current_<type>_* fields of a sequence). The sandbox seeds them; the probe reports
 * the types an account shows beyond them.
 */
export const DOCUMENT_TYPES = [
  'invoice',
  'invoice_receipt',
  'simplified_invoice',
  'credit_note',
  'debit_note',
  'receipt',
  'shipping',
  'transport',
  'devolution',
  'proforma',
  'quote',
  'fees_note',
  'vat_moss_invoice',
  'vat_moss_credit_note',
  'vat_moss_receipt',
] as const;
