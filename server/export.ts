/** A workshop's results as CSV, one row per participant per call, for a spreadsheet. */
import type { ResultRow } from './store';

const COLUMNS = ['round', 'name', 'partner', 'level', 'outcome', 'goalMet', 'score', 'handshakeMs', 'callMs', 'retransmissions', 'correctMoves', 'wrongMoves', 'callId'] as const;

/** Columns holding text people typed: a leading = + - @ there is neutralised, so a spreadsheet never runs it. */
const TYPED = new Set<string>(['name', 'partner']);

/** RFC 4180 quoting. */
function cell(value: unknown, typed: boolean): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (typed && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function resultsCsv(rows: readonly (ResultRow & { name: string; partner: string })[]): string {
  const lines = [COLUMNS.join(',')];
  for (const r of rows) lines.push(COLUMNS.map((c) => cell(r[c], TYPED.has(c))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
