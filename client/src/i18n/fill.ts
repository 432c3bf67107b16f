/** @example fill('{a} + 1 = ?', { a: 3 }) // '3 + 1 = ?' */
export function fill(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}
