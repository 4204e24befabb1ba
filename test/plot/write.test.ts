// Saving: whole files via a temp file and rename, PNG only when a converter is installed.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { lineChart, svgToPng, writeSvg } from '../../src/plot/index.js';

const svg = lineChart({
  title: 'saved ✓',
  xLabel: 'x',
  yLabel: 'y',
  series: [
    {
      name: 's',
      points: [
        [0, 1],
        [1, 2],
      ],
    },
  ],
});

test('writeSvg replaces the file whole and leaves no temp files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jielong-plot-'));
  try {
    const path = join(dir, 'loss.svg');
    writeFileSync(path, 'old contents');
    writeSvg(path, svg);
    assert.equal(readFileSync(path, 'utf8'), svg);
    assert.deepEqual(readdirSync(dir), ['loss.svg']);
    assert.throws(() => writeSvg(path, 'plain text'), /writeSvg: the text for .* is not SVG/);
    assert.throws(() => writeSvg(join(dir, 'missing', 'x.svg'), svg), /cannot write .*x\.svg/);
    assert.deepEqual(readdirSync(dir), ['loss.svg']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('svgToPng writes a PNG when a converter exists, and nothing (false) when none does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jielong-plot-'));
  try {
    const path = join(dir, 'loss.png');
    const converter = ['/usr/bin/rsvg-convert', '/usr/bin/convert'].some(existsSync);
    assert.equal(svgToPng(svg, path), converter);
    if (converter)
      assert.deepEqual([...readFileSync(path).subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
    else assert.equal(existsSync(path), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
