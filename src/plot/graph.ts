// Node-and-edge pictures (a circuit found in a model): boxes placed by the caller on a unit square, edges as
// curves that bow sideways in proportion to their length, so long edges between boxes in one column do not
// run through the boxes between them.
import { el, px, svgDocument, text } from './svg.js';

export interface GraphBox {
  id: string;
  label: string;
  /** Position of the box's centre, each in [0, 1]; y = 0 is the bottom. */
  x: number;
  y: number;
  /** A second, smaller line under the label. */
  detail?: string;
  /** Drawn faded: a part the picture shows but that is not in the graph. */
  faded?: boolean;
  /** Small squares inside the box, filled when on (e.g. a mixer's heads kept). */
  cells?: readonly boolean[];
}

export interface GraphLink {
  from: string;
  to: string;
}

export interface GraphOptions {
  title: string;
  boxes: readonly GraphBox[];
  links: readonly GraphLink[];
  /** A line under the title. */
  subtitle?: string;
  width?: number;
  height?: number;
}

const BOX_W = 120;
const BOX_H = 34;

export function graphSvg(options: GraphOptions): string {
  const { boxes, links, width = 560, height = 640 } = options;
  const top = options.subtitle ? 64 : 44;
  const margin = 30;
  const at = new Map(
    boxes.map((b) => [
      b.id,
      {
        x: margin + BOX_W / 2 + b.x * (width - 2 * margin - BOX_W),
        y: height - margin - BOX_H / 2 - b.y * (height - top - margin - BOX_H),
      },
    ]),
  );
  const body: string[] = [text(width / 2, 24, options.title, { 'text-anchor': 'middle', 'font-size': 15 })];
  if (options.subtitle) {
    body.push(text(width / 2, 44, options.subtitle, { 'text-anchor': 'middle', fill: '#555' }));
  }
  for (const link of links) {
    const a = at.get(link.from);
    const b = at.get(link.to);
    if (!a || !b) throw new Error(`graphSvg: a link from "${link.from}" to "${link.to}" names no box`);
    const bow = 0.35 * Math.hypot(b.x - a.x, b.y - a.y);
    const [cx, cy] = [(a.x + b.x) / 2 + bow, (a.y + b.y) / 2];
    body.push(
      el('path', {
        d: `M${px(a.x)},${px(a.y - BOX_H / 2)} Q${px(cx)},${px(cy)} ${px(b.x)},${px(b.y + BOX_H / 2)}`,
        fill: 'none',
        stroke: '#4e79a7',
        'stroke-opacity': 0.7,
        'stroke-width': 1.5,
      }),
    );
  }
  for (const box of boxes) {
    const { x, y } = at.get(box.id)!;
    const faded = box.faded === true;
    body.push(
      el('rect', {
        x: x - BOX_W / 2,
        y: y - BOX_H / 2,
        width: BOX_W,
        height: BOX_H,
        rx: 5,
        fill: faded ? '#f4f4f4' : '#e8eef6',
        stroke: faded ? '#ccc' : '#4e79a7',
      }),
      text(x, y - (box.detail || box.cells ? 3 : -4), box.label, {
        'text-anchor': 'middle',
        fill: faded ? '#aaa' : '#222',
      }),
    );
    if (box.detail) {
      body.push(text(x, y + 12, box.detail, { 'text-anchor': 'middle', 'font-size': 10, fill: '#555' }));
    } else if (box.cells) {
      const size = 7;
      const x0 = x - (box.cells.length * (size + 2)) / 2;
      box.cells.forEach((on, i) => {
        body.push(
          el('rect', {
            x: x0 + i * (size + 2),
            y: y + 5,
            width: size,
            height: size,
            fill: on ? '#e15759' : 'white',
            stroke: '#888',
          }),
        );
      });
    }
  }
  return svgDocument(width, height, body);
}
