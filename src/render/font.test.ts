import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCanvas, BLACK } from './canvas.js';
import { ADVANCE, drawText, glyph, textWidth, wrapText } from './font.js';

describe('bitmap font', () => {
  it('has a glyph for every printable ASCII character, and only space is blank', () => {
    for (let code = 32; code <= 126; code++) {
      const rows = glyph(String.fromCharCode(code));
      assert.equal(rows.length, 8);
      const ink = rows.reduce((n, r) => n + r, 0);
      assert.equal(ink === 0, code === 32, `glyph ${code} '${String.fromCharCode(code)}'`);
    }
    assert.deepEqual(glyph('é'), glyph('?'));
  });

  it('glyphs are pairwise distinct', () => {
    const seen = new Map<string, string>();
    for (let code = 33; code <= 126; code++) {
      const key = [...glyph(String.fromCharCode(code))].join(',');
      assert.equal(seen.get(key), undefined, `'${String.fromCharCode(code)}' looks like '${seen.get(key)}'`);
      seen.set(key, String.fromCharCode(code));
    }
  });

  it('draws pixels where the glyph has ink, scaled', () => {
    const c = createCanvas(20, 20);
    drawText(c, 'T', 1, 1, BLACK, 2);
    const at = (x: number, y: number) => c.data[(y * 20 + x) * 3];
    // 'T' top bar spans columns 0..4 -> pixels 1..10 at scale 2; stem at column 2 -> pixels 5..6
    for (let x = 1; x <= 10; x++) assert.equal(at(x, 1), 0);
    assert.equal(at(11, 1), 255);
    assert.equal(at(5, 10), 0);
    assert.equal(at(3, 10), 255);
    assert.equal(textWidth('Tt', 2), (2 * ADVANCE - 1) * 2);
  });

  it('wraps at spaces and breaks long words', () => {
    assert.deepEqual(wrapText('grad cam layer4', textWidth('grad cam')), ['grad cam', 'layer4']);
    assert.deepEqual(wrapText('abcdefgh', textWidth('abc')), ['abc', 'def', 'gh']);
    assert.deepEqual(wrapText('a\nb', 100), ['a', 'b']);
  });
});
