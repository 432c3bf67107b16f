/**
 * Security headers for every HTTP response, set by helmet. The Content-Security-Policy
 * lets the pages run only the game's own scripts (no inline script, no eval), talk only
 * to their own origin (the socket.io WebSocket included), and load images only from
 * themselves, `data:` (the icon, the workshop QR code) and `blob:` (exported ladders).
 * Plain HTTP is served as it is: a classroom often reaches the game at a LAN address
 * (http://192.168.…), so neither upgrade-insecure-requests nor HSTS is sent; put TLS
 * in front of the game to serve it over HTTPS.
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';

const directives = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  upgradeInsecureRequests: null,
} as const;

function headers(frameAncestors: "'self'" | "'none'"): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { ...directives, frameAncestors: [frameAncestors] } },
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: frameAncestors === "'none'" ? 'deny' : 'sameorigin' },
  }) as RequestHandler;
}

const page = headers("'self'");
/** The host's dashboard holds the workshop's controls: no other page may frame it (clickjacking). */
const hostPage = headers("'none'");

/** The headers for a request: the host's dashboard may not be framed at all, other pages only by the game itself. */
export const securityHeaders: RequestHandler = (req, res, next) => (req.path === '/host.html' ? hostPage : page)(req, res, next);
