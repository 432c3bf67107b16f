/**
 * A replay as a link: `/replay.html#r=<record>`, the record's JSON compressed with
 * deflate-raw (the browser's own CompressionStream) and written in base64url. The part
 * after # never reaches the server: the call stays between the people who share the link.
 */
import type { CallRecord } from '../../../shared/call';
import { RECORD_LIMITS } from '../../../shared/wire/record';

/** Can this browser make and open links? (CompressionStream: every current browser.) */
export const linksSupported = (): boolean => typeof CompressionStream === 'function' && typeof DecompressionStream === 'function';

function toBase64url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Bytes through a (de)compression stream, refusing to grow past `limit` (a link could hold a zip bomb). */
async function through(bytes: Uint8Array, stream: CompressionStream | DecompressionStream, limit = Infinity): Promise<Uint8Array> {
  const reader = new Blob([bytes as BlobPart]).stream().pipeThrough(stream).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new Error('too large');
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** The `r` value of a link to `record`. */
export async function encodeRecord(record: CallRecord): Promise<string> {
  return toBase64url(await through(new TextEncoder().encode(JSON.stringify(record)), new CompressionStream('deflate-raw')));
}

/** The JSON text of the record in a link's `r` value; throws if the link is broken. */
export async function decodeRecord(value: string): Promise<string> {
  const bytes = await through(fromBase64url(value), new DecompressionStream('deflate-raw'), RECORD_LIMITS.chars * 4);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** The full link to `record` on this site. */
export async function recordLink(record: CallRecord): Promise<string> {
  return `${location.origin}/replay.html#r=${await encodeRecord(record)}`;
}

/** The `r` value in this page's address, or null. */
export function linkValue(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, '')).get('r');
}
