/**
 * `cnnlens serve`: what it serves (the page's files, the model as ONNX with its spec and labels, the
 * example pictures), with which headers, and nothing else: no path reaches a file outside its table.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { loadModel, metadataSpec } from '../../src/index.js';
import { serveCommand, startServer, type RunningServer } from '../../src/cli/serve.js';
import { CnnlensError } from '../../src/errors.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** A raw GET (no URL normalization by the client, so '..' reaches the server as sent). */
function get(url: string, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('cnnlens serve', () => {
  let dir: string;
  let server: RunningServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnnlens-serve-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'export {};');
    server = await startServer({ port: 0, webDir: dir, model: join(ROOT, 'examples/tiny-cnn.onnx') });
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 by default and sends the cross-origin isolation headers', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await get(server.url, '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp');
    assert.equal((await get(server.url, '/assets/app.js')).headers['content-type'], 'text/javascript; charset=utf-8');
  });

  it('serves the model with its input spec, and the example pictures', async () => {
    const info = JSON.parse((await get(server.url, '/model/info.json')).body.toString()) as { name: string; onnx: string };
    assert.equal(info.name, 'tiny-cnn.onnx');
    const onnx = loadModel(new Uint8Array((await get(server.url, `/model/${info.onnx}`)).body));
    assert.deepEqual(metadataSpec(onnx), { layout: 'NCHW', height: 64, width: 64, channels: 3, range: [0, 1], resize: 'center-crop' });
    const list = JSON.parse((await get(server.url, '/examples/index.json')).body.toString()) as string[];
    assert.ok(list.includes('chelsea.png'));
    const png = await get(server.url, '/examples/chelsea.png');
    assert.equal(png.headers['content-type'], 'image/png');
    assert.deepEqual([...png.body.subarray(1, 4)], [...Buffer.from('PNG')]);
  });

  it('serves nothing outside its table', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/assets/../../package.json', '/examples/../../README.md', '/examples/%2e%2e%2fREADME.md', '//etc/passwd', '/model/', '/index.html/']) {
      assert.equal((await get(server.url, path)).status, 404, path);
    }
    assert.equal((await get(server.url, '/', 'POST')).status, 405);
    assert.equal((await get(server.url, '/', 'HEAD')).status, 200);
  });

  it('says how to build the page when it is missing, and refuses bad ports', async () => {
    await assert.rejects(startServer({ port: 0, webDir: join(dir, 'nowhere') }), (e: unknown) => e instanceof CnnlensError && e.code === 'IO' && /npm run build:web/.test(e.message));
    await assert.rejects(serveCommand(['--port', '70000'], { out: () => {}, err: () => {} }), (e: unknown) => e instanceof CnnlensError && e.code === 'USAGE' && /--port must be an integer from 0 to 65535/.test(e.message));
    const port = Number(new URL(server.url).port);
    await assert.rejects(startServer({ port, webDir: dir, model: join(ROOT, 'examples/tiny-cnn.onnx') }), (e: unknown) => e instanceof CnnlensError && e.code === 'IO' && /is in use/.test(e.message));
  });
});
