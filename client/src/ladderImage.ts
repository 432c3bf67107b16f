/**
 * The ladder on a canvas or as SVG: the exported PNG and SVG of a whole call, sized to
 * its content, and the canvas measure the live scene lays its labels out with.
 */
import { estimateWidth, FONT_FAMILY, layoutLadder, type LadderNames, type Measure, type Shape } from './ladder';
import type { CallModel } from './model';

const css = (color: number): string => `#${color.toString(16).padStart(6, '0')}`;

/** Draw shapes on a 2D canvas (for the PNG export). */
export function drawShapes(ctx: CanvasRenderingContext2D, shapes: readonly Shape[]): void {
  for (const s of shapes) {
    if (s.kind === 'line' || s.kind === 'arrow') {
      ctx.strokeStyle = css(s.color);
      ctx.lineWidth = s.kind === 'line' ? s.width : 2;
      ctx.setLineDash(s.dashed === true ? [6, 6] : []);
      ctx.beginPath();
      ctx.moveTo(s.x1, s.y1);
      ctx.lineTo(s.x2, s.y2);
      ctx.stroke();
      if (s.kind === 'arrow' && s.head) {
        const angle = Math.atan2(s.y2 - s.y1, s.x2 - s.x1);
        ctx.fillStyle = css(s.color);
        ctx.beginPath();
        ctx.moveTo(s.x2, s.y2);
        ctx.lineTo(s.x2 - 10 * Math.cos(angle - 0.4), s.y2 - 10 * Math.sin(angle - 0.4));
        ctx.lineTo(s.x2 - 10 * Math.cos(angle + 0.4), s.y2 - 10 * Math.sin(angle + 0.4));
        ctx.fill();
      }
    } else if (s.kind === 'cross') {
      ctx.strokeStyle = css(s.color);
      ctx.lineWidth = 3;
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(s.x - s.size, s.y - s.size);
      ctx.lineTo(s.x + s.size, s.y + s.size);
      ctx.moveTo(s.x + s.size, s.y - s.size);
      ctx.lineTo(s.x - s.size, s.y + s.size);
      ctx.stroke();
    } else {
      ctx.fillStyle = css(s.color);
      ctx.font = `${s.bold === true ? 'bold ' : ''}${s.size}px ${FONT_FAMILY}`;
      ctx.textAlign = s.align;
      ctx.textBaseline = 'top';
      ctx.fillText(s.text, s.x, s.y);
    }
  }
}

/** Measure with a 2D canvas in the ladder's font (what the scene and the exports draw with). */
export function canvasMeasure(): Measure {
  const ctx = document.createElement('canvas').getContext('2d');
  const cache = new Map<string, number>();
  return (text, size, bold) => {
    if (ctx === null) return estimateWidth(text, size, bold);
    const key = `${size}|${bold ? 1 : 0}|${text}`;
    let width = cache.get(key);
    if (width === undefined) {
      ctx.font = `${bold ? 'bold ' : ''}${size}px ${FONT_FAMILY}`;
      width = ctx.measureText(text).width;
      if (cache.size > 2_000) cache.clear();
      cache.set(key, width);
    }
    return width;
  };
}

const EXPORT_WIDTH = 720;

/** The whole ladder of a call as a PNG data URL. */
export function ladderPng(model: CallModel, now: number, names: LadderNames): string {
  const width = EXPORT_WIDTH;
  const layout = layoutLadder(model, now, { x: 0, y: 8, width }, names, canvasMeasure());
  // As tall as the ladder itself: no empty band below the last row.
  const height = Math.ceil(layout.height + 16);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (ctx === null) return '';
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  drawShapes(ctx, layout.shapes);
  return canvas.toDataURL('image/png');
}

const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The whole ladder of a call as an SVG document (text stays text: searchable, scalable). */
export function ladderSvg(model: CallModel, now: number, names: LadderNames): string {
  const width = EXPORT_WIDTH;
  const { shapes, height: laidOut } = layoutLadder(model, now, { x: 0, y: 8, width }, names, canvasMeasure());
  const height = Math.ceil(laidOut + 16);
  const parts: string[] = [];
  for (const s of shapes) {
    if (s.kind === 'line' || s.kind === 'arrow') {
      const dash = s.dashed === true ? ' stroke-dasharray="6 6"' : '';
      const strokeWidth = s.kind === 'line' ? s.width : 2;
      parts.push(`<line x1="${s.x1.toFixed(1)}" y1="${s.y1.toFixed(1)}" x2="${s.x2.toFixed(1)}" y2="${s.y2.toFixed(1)}" stroke="${css(s.color)}" stroke-width="${strokeWidth}"${dash}/>`);
      if (s.kind === 'arrow' && s.head) {
        const angle = Math.atan2(s.y2 - s.y1, s.x2 - s.x1);
        const p = (a: number) => `${(s.x2 - 10 * Math.cos(angle + a)).toFixed(1)},${(s.y2 - 10 * Math.sin(angle + a)).toFixed(1)}`;
        parts.push(`<polygon points="${s.x2.toFixed(1)},${s.y2.toFixed(1)} ${p(-0.4)} ${p(0.4)}" fill="${css(s.color)}"/>`);
      }
    } else if (s.kind === 'cross') {
      const d = `M${s.x - s.size} ${s.y - s.size}L${s.x + s.size} ${s.y + s.size}M${s.x + s.size} ${s.y - s.size}L${s.x - s.size} ${s.y + s.size}`;
      parts.push(`<path d="${d}" stroke="${css(s.color)}" stroke-width="3"/>`);
    } else {
      const anchor = s.align === 'center' ? 'middle' : s.align === 'right' ? 'end' : 'start';
      const weight = s.bold === true ? ' font-weight="600"' : '';
      parts.push(`<text x="${s.x.toFixed(1)}" y="${(s.y + s.size).toFixed(1)}" font-size="${s.size}" fill="${css(s.color)}" text-anchor="${anchor}"${weight}>${escapeXml(s.text)}</text>`);
    }
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
  ].join('\n');
}
