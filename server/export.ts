/** A workshop's results and misconception report as CSV, for a spreadsheet. */
import { ADVICE, type AdviceLang, type MisconceptionReport } from '../shared/game/advice';
import type { Step } from '../shared/game/steps';
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

/** One row per participant per call. */
export function resultsCsv(rows: readonly (ResultRow & { name: string; partner: string })[]): string {
  const lines = [COLUMNS.join(',')];
  for (const r of rows) lines.push(COLUMNS.map((c) => cell(r[c], TYPED.has(c))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** A report with its line of advice for each step, in one language. */
export type AdvisedReport = Omit<MisconceptionReport, 'steps'> & { readonly steps: readonly { readonly step: Step; readonly count: number; readonly advice: string }[] };

export function withAdvice(reports: readonly MisconceptionReport[], lang: AdviceLang): AdvisedReport[] {
  return reports.map((r) => ({ ...r, steps: r.steps.map((s) => ({ ...s, advice: ADVICE[lang][s.step] })) }));
}

const REPORT_COLUMNS = ['name', 'calls', 'wrongMoves', 'step', 'count', 'advice'] as const;

/** One row per participant per step they got wrong (one row with no step for someone who got none wrong). */
export function reportCsv(reports: readonly AdvisedReport[]): string {
  const lines: string[] = [REPORT_COLUMNS.join(',')];
  for (const r of reports) {
    const rows = r.steps.length === 0 ? [{ step: '', count: 0, advice: '' }] : r.steps;
    for (const s of rows) lines.push([cell(r.name, true), cell(r.calls, false), cell(r.wrongMoves, false), cell(s.step, false), cell(s.count, false), cell(s.advice, false)].join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
