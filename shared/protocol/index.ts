/**
 * The reference TCP endpoint, pure: no clock, no timers, no I/O. See docs/protocol.md.
 */
export { createEndpoint, createEndpoints, isClosing, makeSegment, nextDeadline, step } from './endpoint';
export { formatFlags, formatSegment, parseSegment } from './format';
export { segmentLength, seqAdd, seqDiff, seqLe, seqLt, utf8Length } from './seq';
export { DEFAULT_CONFIG, STATES, TIMER_NAMES } from './types';
export type {
  CloseReason,
  DropCode,
  Endpoint,
  Input,
  KeepaliveConfig,
  ProtocolConfig,
  ProtocolEvent,
  RefusalCode,
  Reply,
  Segment,
  State,
  StepResult,
  TimerName,
  Timers,
  Unacked,
} from './types';
