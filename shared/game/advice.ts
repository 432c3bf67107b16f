/**
 * The misconception report: for each participant of a workshop, the steps they got wrong,
 * how often, and one line of advice per step, most frequent first. Built from the wrong
 * moves by step that every finished call keeps (see steps.ts).
 */
import { STEPS, type Step } from './steps';

export type AdviceLang = 'en' | 'zh';

/** One line per step: what to do there, in words a 14-year-old follows. */
export const ADVICE: Readonly<Record<AdviceLang, Readonly<Record<Step, string>>>> = {
  en: {
    ask: 'To start, send a SYN alone ("1+1=?"): your own number, no ACK yet.',
    answer: 'Answer a SYN with SYN+ACK: your own number, and ack = their number + 1.',
    confirm: 'Finish the handshake with a bare ACK: ack = their number + 1, no SYN.',
    goodbye: 'Say goodbye with a FIN once you have nothing more to say; it uses up one number.',
    ok: 'When they say goodbye, first ACK their FIN (their number + 1), then send your own FIN.',
    reset: 'Hang up (RST) only when something is really wrong: it ends the call for both.',
    chat: 'Chat only once connected; a message uses up as many numbers as it has characters.',
    other: 'Check the numbers: ack is always the next number you expect from them.',
  },
  zh: {
    ask: '开始时只发 SYN（“1+1=?”）：带上你自己的序号，先不要 ACK。',
    answer: '收到 SYN 就回 SYN+ACK：你自己的序号，ack = 对方序号 + 1。',
    confirm: '最后回一个单纯的 ACK 完成握手：ack = 对方序号 + 1，不带 SYN。',
    goodbye: '没有话要说了再发 FIN 道别；FIN 占用一个序号。',
    ok: '对方说再见时，先 ACK 对方的 FIN（对方序号 + 1），再发你自己的 FIN。',
    reset: '只有真出了问题才挂断（RST）：它会让双方的通话都结束。',
    chat: '连上之后才能聊天；一条消息有几个字符就占用几个序号。',
    other: '检查序号：ack 永远是你期待对方发来的下一个序号。',
  },
};

export interface StepMistakes {
  readonly step: Step;
  readonly count: number;
}

export interface MisconceptionReport {
  readonly participantId: string;
  readonly name: string;
  /** Calls they finished. */
  readonly calls: number;
  readonly wrongMoves: number;
  /** Steps with at least one wrong move, most frequent first (ties in the order of a call). */
  readonly steps: readonly StepMistakes[];
}

/** What the report needs of one finished call of one participant. */
export interface ResultMistakes {
  readonly participantId: string;
  readonly mistakes: Readonly<Partial<Record<string, number>>>;
}

/**
 * One report per participant, in the order given; participants with no finished call
 * get an empty report.
 *
 * @example
 * misconceptions([{ id: 'p1', name: 'Ana' }], [{ participantId: 'p1', mistakes: { confirm: 2 } }])
 * // [{ participantId: 'p1', name: 'Ana', calls: 1, wrongMoves: 2, steps: [{ step: 'confirm', count: 2 }] }]
 */
export function misconceptions(
  participants: readonly { readonly id: string; readonly name: string }[],
  results: readonly ResultMistakes[],
): MisconceptionReport[] {
  const byParticipant = new Map<string, { calls: number; counts: Record<Step, number> }>();
  for (const r of results) {
    let entry = byParticipant.get(r.participantId);
    if (entry === undefined) {
      entry = { calls: 0, counts: Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, number> };
      byParticipant.set(r.participantId, entry);
    }
    entry.calls++;
    for (const s of STEPS) entry.counts[s] += Math.max(0, r.mistakes[s] ?? 0);
  }
  return participants.map((p) => {
    const entry = byParticipant.get(p.id);
    const steps = STEPS.map((step) => ({ step, count: entry?.counts[step] ?? 0 }))
      .filter((s) => s.count > 0)
      .sort((x, y) => y.count - x.count || STEPS.indexOf(x.step) - STEPS.indexOf(y.step));
    return { participantId: p.id, name: p.name, calls: entry?.calls ?? 0, wrongMoves: steps.reduce((n, s) => n + s.count, 0), steps };
  });
}
