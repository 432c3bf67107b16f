/** Taking a call home: a pcapng capture of its segments. */
export { CAPTURE_HOSTS, checksum, encodeUtf8, tcpIpv4Packet, toPcapng } from './pcapng';
export type { CapturedSegment } from './pcapng';
