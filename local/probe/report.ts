import { FINDING_IDS, FINDING_LABELS } from './findings.ts';
import type { Finding, ProbeReport } from './findings.ts';

/** The report as text: one line per finding. */

function shownValue(value: Finding['value']): string {
  if (value === null) return '?';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(', ');
  return String(value);
}

export function formatReport(report: ProbeReport): string {
  const width = Math.max(...Object.values(FINDING_LABELS).map((label) => label.length));
  const lines = FINDING_IDS.map((id) => {
    const finding = report.findings[id];
    return `  ${FINDING_LABELS[id].padEnd(width)}  ${shownValue(finding.value).padEnd(10)}  ${finding.detail}`;
  });
  return [
    `InvoiceXpress probe of ${report.target}: ${String(report.requests.length)} GET requests, nothing written; ` +
      `${String(report.sequencesListed)} of ${String(report.sequencesInAccount)} sequences in the list's answer`,
    ...lines,
    "'?' means the probe could not tell. What each line means and what the service assumes: docs/invoicexpress.md",
  ].join('\n');
}
