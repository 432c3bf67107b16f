/**
 * The pcapng export, read back by Wireshark's own command-line reader (tshark): every
 * segment of a call is there, with its flags, numbers, data and time, checksums good.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callStep, createCall, nextCallDeadline } from '../../shared/call';
import type { Call, CallEvent, CallInput } from '../../shared/call';
import { CAPTURE_HOSTS, checksum, encodeUtf8, toPcapng, type CapturedSegment } from '../../shared/export';
import { LINE_PRESETS } from '../../shared/net';
import { utf8Length } from '../../shared/protocol';

const START = Date.UTC(2026, 10, 21, 9, 0, 0);

/** A whole call on a bad line, played by two reference endpoints, as its segment-sent events. */
function playCall(seed: number): CapturedSegment[] {
  let call: Call = createCall({ conditions: LINE_PRESETS.bad, seed, iss: { a: 1000 + seed, b: 5000 + seed }, config: { mslMs: 1_000 } });
  const sent: CapturedSegment[] = [];
  const apply = (input: CallInput, at: number) => {
    const r = callStep(call, input, at);
    call = r.call;
    for (const e of r.events as CallEvent[]) if (e.type === 'segment-sent') sent.push({ at: e.at, from: e.from, segment: e.segment });
  };
  apply({ kind: 'user', side: 'b', input: { kind: 'listen' } }, 0);
  apply({ kind: 'user', side: 'a', input: { kind: 'open' } }, 10);
  let talked = false;
  let closed = false;
  for (let i = 0; i < 500; i++) {
    const next = nextCallDeadline(call);
    if (next === null) break;
    apply({ kind: 'tick' }, next);
    const { a, b } = call.endpoints;
    if (a.state === 'ESTABLISHED' && !talked) {
      talked = true;
      apply({ kind: 'user', side: 'a', input: { kind: 'send', data: 'can you hear me?' } }, next);
      apply({ kind: 'user', side: 'a', input: { kind: 'send', data: '你好 🙂' } }, next);
      apply({ kind: 'user', side: 'a', input: { kind: 'close' } }, next);
    }
    if (b.state === 'CLOSE_WAIT' && !closed) {
      closed = true;
      apply({ kind: 'user', side: 'b', input: { kind: 'close' } }, next);
    }
  }
  return sent;
}

function tshark(file: string): string[][] {
  const out = execFileSync(
    'tshark',
    ['-r', file, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.analyze_sequence_numbers:FALSE', '-T', 'fields', '-E', 'separator=|',
      '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.flags',
      '-e', 'tcp.seq_raw', '-e', 'tcp.ack_raw', '-e', 'tcp.len', '-e', 'tcp.payload', '-e', 'tcp.checksum.status', '-e', 'ip.checksum.status'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return out.trim().split('\n').map((line) => line.split('|'));
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
const ip = (side: 'a' | 'b') => CAPTURE_HOSTS[side].ip.join('.');

describe('pcapng export', () => {
  it('is read back by tshark as the same conversation, segment by segment', () => {
    const segments = playCall(7);
    expect(segments.length).toBeGreaterThan(8);
    const dir = mkdtempSync(join(tmpdir(), 'cyhm-'));
    const file = join(dir, 'call.pcapng');
    writeFileSync(file, toPcapng(segments, START));
    const rows = tshark(file);
    expect(rows).toHaveLength(segments.length);
    for (const [i, s] of segments.entries()) {
      const [time, src, dst, sport, dport, flags, seq, ack, len, payload, tcpSum, ipSum] = rows[i]!;
      const seg = s.segment;
      expect(Number(time)).toBeCloseTo((START + s.at) / 1000, 3);
      expect(src).toBe(ip(s.from));
      expect(dst).toBe(ip(s.from === 'a' ? 'b' : 'a'));
      expect(Number(sport)).toBe(CAPTURE_HOSTS[s.from].port);
      expect(Number(dport)).toBe(CAPTURE_HOSTS[s.from === 'a' ? 'b' : 'a'].port);
      const bits = Number(flags);
      expect({ fin: (bits & 1) !== 0, syn: (bits & 2) !== 0, rst: (bits & 4) !== 0, ack: (bits & 16) !== 0 }).toEqual({ fin: seg.fin, syn: seg.syn, rst: seg.rst, ack: seg.ack });
      expect(Number(seq)).toBe(seg.seq);
      if (seg.ack) expect(Number(ack)).toBe(seg.ackNo);
      expect(Number(len)).toBe(utf8Length(seg.data));
      expect(payload ?? '').toBe(hex(encodeUtf8(seg.data)));
      expect(tcpSum).toBe('1'); // good
      expect(ipSum).toBe('1');
    }
  });
});

describe('encodeUtf8 and checksum', () => {
  it('encodes exactly like TextEncoder, and its length is utf8Length', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const bytes = encodeUtf8(text);
        expect([...bytes]).toEqual([...new TextEncoder().encode(text)]);
        expect(bytes.length).toBe(utf8Length(text));
      }),
    );
  });

  it('computes the RFC 1071 example checksum', () => {
    // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2, whose complement is 220d.
    expect(checksum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7))).toBe(0x220d);
  });
});
