/** Chinese, Japanese and Korean characters and full-width punctuation: no space goes between two of them. */
const CJK = /[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]/;

/**
 * Put values into a template's `{name}` places. The Chinese templates keep a space around
 * a place for Latin names ("Alice 发送了"); where the value is Chinese too ("你"), the
 * space between it and the Chinese next to it goes.
 *
 * @example fill('{a} + 1 = ?', { a: 3 }) // '3 + 1 = ?'
 * @example fill('{who} 挂断了', { who: '你' }) // '你挂断了'
 */
export function fill(template: string, values: Record<string, string | number> = {}): string {
  let out = '';
  let at = 0;
  for (const m of template.matchAll(/\{(\w+)\}/g)) {
    const key = m[1]!;
    const start = m.index;
    const end = start + m[0].length;
    if (!(key in values)) continue;
    const value = String(values[key]);
    out += template.slice(at, start);
    if (out.endsWith(' ') && CJK.test(value.charAt(0)) && CJK.test(out.charAt(out.length - 2))) out = out.slice(0, -1);
    out += value;
    at = end;
    if (template.charAt(end) === ' ' && CJK.test(value.charAt(value.length - 1)) && CJK.test(template.charAt(end + 1))) at = end + 1;
  }
  return out + template.slice(at);
}
