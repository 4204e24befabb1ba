// Saving charts: SVG written atomically, and PNG through a system converter when one is installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../io/index.js';

export function writeSvg(path: string, svg: string): void {
  if (!svg.trimStart().startsWith('<')) throw new TypeError(`writeSvg: the text for ${path} is not SVG`);
  writeFileAtomic(path, svg);
}

/** Converters tried in order, each reading SVG on stdin and writing PNG on stdout. */
const CONVERTERS: { bin: string; args: string[] }[] = [
  { bin: '/usr/bin/rsvg-convert', args: ['--format', 'png'] },
  { bin: '/usr/bin/convert', args: ['svg:-', 'png:-'] },
];

/**
 * Renders the SVG to a PNG at `path` with rsvg-convert or ImageMagick's convert. Returns false, writing
 * nothing, when neither is installed (SVG stays the primary output); throws if the converter fails.
 */
export function svgToPng(svg: string, path: string): boolean {
  const converter = CONVERTERS.find((c) => existsSync(c.bin));
  if (!converter) return false;
  const run = spawnSync(converter.bin, converter.args, { input: svg, maxBuffer: 1 << 28 });
  if (run.error || run.status !== 0)
    throw new Error(
      `svgToPng: ${converter.bin} failed for ${path}: ${run.error?.message ?? run.stderr.toString().trim()}`,
    );
  writeFileAtomic(path, run.stdout);
  return true;
}
