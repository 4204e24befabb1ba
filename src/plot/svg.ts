// SVG building blocks: escaping, elements, the colour cycle, and a text width guess for layout.

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text or attribute value made safe for XML; control characters XML 1.0 forbids are dropped. */
export function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (code < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r') continue;
    out += ENTITIES[ch] ?? ch;
  }
  return out;
}

type Attrs = Record<string, string | number | undefined>;

/** Coordinates to two decimals: sub-pixel enough, and keeps the files small. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** One element; numbers are written as coordinates, undefined attributes left out, `body` is raw SVG. */
export function el(tag: string, attrs: Attrs, body?: string): string {
  const list = Object.entries(attrs)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? px(v) : escapeXml(v)}"`)
    .join('');
  return body === undefined ? `<${tag}${list}/>` : `<${tag}${list}>${body}</${tag}>`;
}

/** A text element; `content` is escaped here. */
export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return el('text', { x, y, ...attrs }, escapeXml(content));
}

export function svgDocument(width: number, height: number, body: string[]): string {
  const root = el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      'font-family': 'DejaVu Sans, Helvetica, Arial, sans-serif',
      'font-size': 12,
    },
    `\n${el('rect', { width, height, fill: 'white' })}\n${body.join('\n')}\n`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root}\n`;
}

/** Tableau 10: distinct hues that stay apart for most colour-blind readers. */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
/** After ten series the colours repeat, so the line style changes to keep them apart. */
const DASHES = [undefined, '6 3', '2 2', '8 3 2 3'];

export function seriesStyle(i: number): { colour: string; dash: string | undefined } {
  return {
    colour: PALETTE[i % PALETTE.length],
    dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length],
  };
}

/** Rough rendered width of a sans-serif string: no font metrics here, and layout only needs a margin. */
export function textWidth(s: string, fontSize: number): number {
  return s.length * fontSize * 0.6;
}
