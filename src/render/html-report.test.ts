import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CnnlensError } from '../errors.js';
import { base64, escapeHtml, htmlReport } from './html-report.js';
import { encodePng } from './png.js';

describe('htmlReport', () => {
  const png = encodePng({ width: 2, height: 1, data: Uint8Array.from([255, 0, 0, 0, 0, 255]) });

  it('base64 matches Node', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 100]) {
      const bytes = Uint8Array.from({ length: n }, (_v, i) => (i * 37 + 11) & 0xff);
      assert.equal(base64(bytes), Buffer.from(bytes).toString('base64'));
    }
  });

  it('inlines PNGs, escapes all text and loads nothing from outside', () => {
    const html = htmlReport({
      title: 'Grad-CAM <report> & "more"',
      entries: [{
        input: 'cat<script>alert(1)</script>.png',
        caption: "it's a <b>cat</b>",
        figures: [{ label: 'grad-cam <layer4>', png }],
        summary: { 'top class': 'tabby <cat>', score: 12.3456789, classes: [281, 282], delta: 1e-7 },
      }],
    });
    assert.ok(html.startsWith('<!DOCTYPE html>'));
    assert.ok(html.includes(`src="data:image/png;base64,${Buffer.from(png).toString('base64')}"`));
    assert.ok(!html.includes('<script'), 'no raw script tag from user text');
    assert.ok(html.includes('cat&lt;script&gt;alert(1)&lt;/script&gt;.png'));
    assert.ok(html.includes('Grad-CAM &lt;report&gt; &amp; &quot;more&quot;'));
    assert.ok(html.includes('<td>12.3457</td>') && html.includes('<td>[281,282]</td>'));
    assert.ok(!/(?:src|href)="(?!data:)/.test(html), 'no external resources');
    assert.equal(escapeHtml(`<&>"'`), '&lt;&amp;&gt;&quot;&#39;');
  });
});
