/** A whole call, pure: two endpoints, the line between them, segments in flight. */
export { CALL_EVENT_TYPES, callStep, createCall, nextCallDeadline, SIDES } from './call';
export type { Backlog, BacklogSetup, Call, CallEvent, CallInput, CallSetup, CallStepResult, InFlight, LostCopyInfo, Pending, Rig, SentCopy, Side } from './call';
export { callView } from './view';
export type { CallView, SideView } from './view';
export { FOREVER_MS, RECORD_VERSION, replay } from './replay';
export type { CallRecord } from './replay';
export { callAt, eventsUntil, nextMoment, previousMoment, timeline } from './timeline';
export type { Moment, MomentThing, Timeline } from './timeline';
export { tripOf } from './trip';
export type { Trip } from './trip';
