/**
 * Imported first by the viewer, before any schema is built: zod compiles its parsers with
 * `new Function` unless told not to, and probes whether it may as each object schema is
 * made. Under the page's Content-Security-Policy (no eval) even the probe is reported as
 * a violation, so turn that off before shared/wire builds its schemas.
 */
import { z } from 'zod';

z.config({ jitless: true });
