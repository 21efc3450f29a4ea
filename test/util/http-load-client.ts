/**
 * A load generator for `cnnlens serve`, run as its own process by test/web/serve-load.test.ts:
 *   node --import tsx test/util/http-load-client.ts '{"url": ..., "paths": [...], "requests": N, "concurrency": C, "timeoutMs": T}'
 * Sends N GET requests (paths taken round-robin) over C keep-alive connections and prints one JSON line:
 * how many were answered, by status and path, the body bytes received against Content-Length, and
 * every transport error. It never retries, so a lost request shows as an error or a missing answer.
 */
import { Agent, request } from 'node:http';

interface Job { url: string; paths: string[]; requests: number; concurrency: number; timeoutMs: number }

const job = JSON.parse(process.argv[2]!) as Job;
const base = new URL(job.url);
const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
const byPath: Record<string, Record<string, number>> = {};
const errors: string[] = [];
let answered = 0;
let shortBodies = 0;
let next = 0;

function one(path: string): Promise<void> {
  return new Promise((resolve) => {
    const req = request({ host: base.hostname, port: base.port, path, agent, timeout: job.timeoutMs }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => {
        answered++;
        const counts = (byPath[path] ??= {});
        counts[res.statusCode!] = (counts[res.statusCode!] ?? 0) + 1;
        if (res.headers['content-length'] !== undefined && Number(res.headers['content-length']) !== bytes) shortBodies++;
        resolve();
      });
      res.on('error', (e) => { errors.push(`${path}: ${e.message}`); resolve(); });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => { errors.push(`${path}: ${e.message}`); resolve(); });
    req.end();
  });
}

const t0 = performance.now();
await Promise.all(Array.from({ length: job.concurrency }, async () => {
  while (next < job.requests) {
    const i = next++;
    await one(job.paths[i % job.paths.length]!);
  }
}));
agent.destroy();
process.stdout.write(`${JSON.stringify({ sent: job.requests, answered, byPath, shortBodies, errors: errors.slice(0, 20), errorCount: errors.length, ms: Math.round(performance.now() - t0) })}\n`);
