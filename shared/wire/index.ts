/** The wire contract between browser and server: event maps, request schemas, error codes. */
export { ERRORS, wireError } from './errors';
export { ANSWERS } from './events';
export type { ErrorCode, WireError } from './errors';
export {
  ACTIONS,
  CLIENT_EVENT_NAMES,
  CLIENT_SCHEMAS,
  CODE_ALPHABET,
  CODE_LENGTH,
  LANGS,
  LIMITS,
  LINE_NAMES,
  normalizeCode,
  parseRequest,
  requestName,
  PERSONALITIES,
  segmentSchema,
} from './schemas';
export type { CallAction, ClientEventName, ClientPayloads, ClientRequest, Lang, LineName, Personality } from './schemas';
export type {
  AnswerTo,
  CallCreated,
  CallLeft,
  CallEnded,
  CallStarted,
  Spectating,
  CallUpdate,
  ClientToServerEvents,
  Dashboard,
  PairEnd,
  WorkshopCreated,
  WorkshopStatus,
  PartnerStatus,
  PlayerInfo,
  QueueWaiting,
  RematchStatus,
  Reply,
  ServerEventName,
  ServerMessage,
  ServerPayload,
  ServerToClientEvents,
  Welcome,
} from './events';
export { parseRecord, parseRecordText, RECORD_LIMITS, RECORD_REFUSALS } from './record';
export type { ParsedRecord, RecordRefusal } from './record';
