/**
 * The security headers (server/security.ts, helmet) on every page, and that Chromium
 * enforces them: an inline script does not run and is reported. Every other browser test
 * counts the page's CSP violations among its errors (test/support/browser.ts), so playing
 * a call, a lesson or a workshop with none is checked there.
 */
import { describe, expect, it } from 'vitest';
import { browserTests, type PageGlobal } from '../support/browser';

const suite = browserTests();

/** A header's directives, e.g. { 'script-src': ["'self'"] }. */
function directives(csp: string | null): Record<string, string[]> {
  return Object.fromEntries(
    (csp ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0] !== '')
      .map(([name, ...values]) => [name!, values]),
  );
}

describe('security headers', () => {
  it('every page allows only the game’s own scripts; the host’s dashboard may not be framed at all', async () => {
    const t = await suite.open('security-headers');
    for (const [path, frameAncestors] of [
      ['/', "'self'"],
      ['/host.html', "'none'"],
      ['/healthz', "'self'"],
    ] as const) {
      const res = await fetch(`${t.srv.url}${path}`);
      expect(res.status, path).toBe(200);
      const csp = directives(res.headers.get('content-security-policy'));
      expect(csp['script-src'], path).toEqual(["'self'"]);
      expect(csp['script-src-attr'], path).toEqual(["'none'"]);
      expect(csp['default-src'], path).toEqual(["'self'"]);
      expect(csp['connect-src'], path).toEqual(["'self'"]);
      expect(csp['object-src'], path).toEqual(["'none'"]);
      expect(csp['frame-ancestors'], path).toEqual([frameAncestors]);
      // Served over plain HTTP on a classroom's LAN too: nothing that would force HTTPS.
      expect(csp).not.toHaveProperty('upgrade-insecure-requests');
      expect(res.headers.get('strict-transport-security'), path).toBeNull();
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('x-frame-options'), path).toBe(frameAncestors === "'none'" ? 'DENY' : 'SAMEORIGIN');
      expect(res.headers.get('x-powered-by'), path).toBeNull();
    }
  });

  it('Chromium enforces the policy: an inline script injected into the page does not run, and is reported', async () => {
    const t = await suite.open('security-inline');
    const player = await t.join('Ada');
    expect(await player.cspViolations()).toEqual([]);
    const ran = await player.page.evaluate(() => {
      const page = globalThis as unknown as PageGlobal & { document: { createElement(tag: string): { textContent: string }; head: { append(node: unknown): void } } };
      const script = page.document.createElement('script');
      script.textContent = 'globalThis.__inlineRan = true';
      page.document.head.append(script);
      return (globalThis as unknown as { __inlineRan?: boolean }).__inlineRan === true;
    });
    expect(ran).toBe(false);
    await player.page.waitForFunction(() => ((globalThis as unknown as PageGlobal).__cspViolations ?? []).length > 0);
    expect(await player.cspViolations()).toEqual(['script-src-elem inline']);
  });
});
