/**
 * `cnnlens serve` under load and against oversized requests: a second process on 127.0.0.1 sends
 * thousands of requests over many connections (bounded in count and time) while this process keeps
 * asking for a small file; every request is answered with the right status and a complete body, and the
 * probe is answered throughout. With a tiny queue the surplus is refused with 503 + Retry-After, not
 * dropped. Oversized URLs, request bodies and headers get 414, 413 and 431.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer, type RunningServer } from '../../src/cli/serve.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIG = 4 * 1024 * 1024;

interface LoadReport { sent: number; answered: number; byPath: Record<string, Record<string, number>>; shortBodies: number; errors: string[]; errorCount: number; ms: number }

function runClient(job: object): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/util/http-load-client.ts'), JSON.stringify(job)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c; });
    child.stderr.on('data', (c: Buffer) => { err += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`load client exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as LoadReport);
    });
  });
}

/** One raw request written by hand on a socket: status line of the answer. */
function raw(url: string, text: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.write(text));
    let got = '';
    s.on('data', (c: Buffer) => { got += c.toString('latin1'); if (got.includes('\r\n')) { s.destroy(); resolve(got.split('\r\n')[0]!); } });
    s.on('error', reject);
    s.setTimeout(15_000, () => { s.destroy(); reject(new Error('no answer')); });
  });
}

function get(url: string, path: string, timeoutMs = 30_000): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; bytes: number }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, agent: false, timeout: timeoutMs }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes }));
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

describe('cnnlens serve under load', () => {
  let dir: string;
  let server: RunningServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnnlens-load-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'export {};\n'.repeat(2000));
    writeFileSync(join(dir, 'assets', 'big.wasm'), Buffer.alloc(BIG, 7));
    server = await startServer({ port: 0, webDir: dir, model: join(ROOT, 'examples/tiny-cnn.onnx'), limits: { maxActive: 8, maxQueued: 4096 } });
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every one of 3,000 requests from another process, and stays responsive meanwhile', async (t) => {
    const paths = ['/', '/assets/app.js', '/model/model.onnx', '/examples/index.json', '/nope', '/../package.json', '/examples/chelsea.png', '/assets/app.js', '/', '/model/info.json'];
    const pathsWithBig = [...paths.flatMap((p) => [p, p]), '/assets/big.wasm'];
    const load = runClient({ url: server.url, paths: pathsWithBig, requests: 3000, concurrency: 64, timeoutMs: 60_000 });
    // the probe: one small request after another while the load runs
    let probes = 0;
    let done = false;
    void load.finally(() => { done = true; });
    while (!done) {
      const r = await get(server.url, '/examples/index.json', 30_000);
      assert.equal(r.status, 200);
      probes++;
      await new Promise((res) => setTimeout(res, 50));
    }
    const report = await load;
    t.diagnostic(`${report.answered}/${report.sent} answered in ${report.ms} ms over 64 connections; ${probes} probe requests answered meanwhile`);
    assert.equal(report.errorCount, 0, `transport errors: ${report.errors.join('; ')}`);
    assert.equal(report.answered, report.sent);
    assert.equal(report.shortBodies, 0);
    for (const [path, counts] of Object.entries(report.byPath)) {
      const want = path === '/nope' || path === '/../package.json' ? '404' : '200';
      assert.deepEqual(Object.keys(counts), [want], `${path}: ${JSON.stringify(counts)}`);
    }
    assert.ok(report.byPath['/assets/big.wasm']!['200']! > 100);
    assert.ok(probes >= 2, `probes answered during the load: ${probes}`);
  });

  it('refuses what does not fit in a full queue with 503 and Retry-After, losing nothing, then serves again', async () => {
    const small = await startServer({ port: 0, webDir: dir, model: join(ROOT, 'examples/tiny-cnn.onnx'), limits: { maxActive: 1, maxQueued: 2 } });
    try {
      const answers = await Promise.all(Array.from({ length: 24 }, () => get(small.url, '/assets/big.wasm')));
      const ok = answers.filter((a) => a.status === 200);
      const busy = answers.filter((a) => a.status === 503);
      assert.equal(ok.length + busy.length, 24);
      assert.ok(ok.length >= 3 && busy.length >= 1, `200: ${ok.length}, 503: ${busy.length}`);
      assert.ok(ok.every((a) => a.bytes === BIG));
      assert.ok(busy.every((a) => a.headers['retry-after'] === '1'));
      assert.equal((await get(small.url, '/examples/index.json')).status, 200);
    } finally {
      await small.close();
    }
  });

  it('refuses oversized URLs (414), request bodies (413) and oversized headers (431)', async () => {
    assert.equal((await get(server.url, `/${'a'.repeat(5000)}`)).status, 414);
    assert.match(await raw(server.url, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'), / 413 /);
    assert.match(await raw(server.url, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'), / 405 /);
    assert.match(await raw(server.url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20000)}\r\n\r\n`), / 431 /);
    assert.equal((await get(server.url, '/')).status, 200);
  });
});
