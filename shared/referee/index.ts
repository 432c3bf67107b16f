/** Judging a player's move against the reference endpoint. */
export { expectedMoves, hint, judgeMove, sameSegment } from './referee';
export type { Candidate, FlagMistakeCode, Mistake, MistakeCode, RefereeContext, Verdict } from './referee';
