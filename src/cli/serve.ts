/**
 * `cnnlens serve`: serves the built explorer page (web/dist), one model converted to ONNX (the default
 * model, or --model), and the bundled example pictures, on 127.0.0.1 unless told otherwise. The set of
 * files it serves is fixed at start: a request maps to an entry of that table or gets 404, so no path
 * in a URL can reach any other file. Responses carry the cross-origin isolation headers the page's
 * threaded WebAssembly needs.
 *
 * Limits (SERVER_LIMITS): GET and HEAD only, no request bodies, URL and header sizes bounded, slow
 * clients timed out, and at most `maxActive` responses in flight with `maxQueued` more waiting their turn
 * (beyond that: 503 with Retry-After). Files are streamed, so memory stays bounded under load.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail } from '../errors.js';
import { loadImageModel } from '../model/load-file.js';
import type { ImageModel } from '../model/image-model.js';
import type { SpecParts } from '../model/spec-resolve.js';
import { saveModel } from '../onnx/load.js';
import { ConcurrencyGate } from '../server/gate.js';
import { EXIT_OK, parseCommandArgs, processIO, type CliIO } from './common.js';

export const SERVE_USAGE = `Usage: cnnlens serve [--port N] [--host ADDR] [--model FILE] [--labels FILE] [--spec FILE]

Serves the explorer, a web page that explains the model in the browser (onnxruntime-web): pictures
you drop on it never leave your machine. It serves only the built page, the model (converted to
ONNX, with its input spec and class names) and the example pictures.

Options:
  --port N        port (default 8173; 0 picks a free one)
  --host ADDR     address to listen on (default 127.0.0.1: this machine only)
  --model FILE    the model to offer as the page's default: .onnx, .keras, .h5 or TF.js model.json
                  (default: the built-in nsfwjs MobileNetV2)
  --labels FILE   class names, one per line or a JSON array
  --spec FILE     input spec sidecar JSON (default: <model>.cnnlens.json when it exists)
  -h, --help      show this help

GET and HEAD only; at most 32 responses in flight and 1024 requests waiting (503 beyond).
Build the page first: npm run build:web (bash scripts/web.sh does it when needed).
`;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.onnx': 'application/octet-stream',
  '.map': 'application/json',
};

const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
};

export interface ServerLimits {
  /** responses being sent at once */
  readonly maxActive: number;
  /** requests waiting for a slot; beyond this, 503 */
  readonly maxQueued: number;
  /** longest request target (path and query), in bytes; beyond this, 414 */
  readonly maxUrlBytes: number;
  /** all request headers together, in bytes; beyond this, Node answers 431 */
  readonly maxHeaderBytes: number;
  /** time for a client to send its headers */
  readonly headersTimeoutMs: number;
  /** time for a client to send its whole request */
  readonly requestTimeoutMs: number;
  /** open connections; beyond this, new ones are closed at once */
  readonly maxConnections: number;
}

export const SERVER_LIMITS: ServerLimits = {
  maxActive: 32,
  maxQueued: 1024,
  maxUrlBytes: 4096,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxConnections: 1024,
};

/** A served entry: a file read on request, or bytes made at start. */
type Entry = { readonly type: string; readonly file: string } | { readonly type: string; readonly bytes: Uint8Array };

function typeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return TYPES[dot < 0 ? '' : name.slice(dot).toLowerCase()] ?? 'application/octet-stream';
}

/** The package's root (two levels above src/cli/ and dist/cli/). */
function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

export function webDist(): string {
  return join(packageRoot(), 'web', 'dist');
}

function addTree(table: Map<string, Entry>, dir: string, prefix: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) addTree(table, p, `${prefix}${e.name}/`);
    else if (e.isFile()) table.set(`${prefix}${e.name}`, { type: typeOf(e.name), file: p });
  }
}

/** The ONNX bytes the page loads: the model with its settled input spec and class names as metadata. */
export function servedModel(model: ImageModel): Uint8Array {
  const s = model.input;
  const spec: SpecParts = { layout: s.layout, height: s.height, width: s.width, channels: s.channels, range: s.range, ...(s.mean ? { mean: s.mean } : {}), ...(s.std ? { std: s.std } : {}), resize: s.resize };
  const metadata = [
    ...model.onnx.metadata.filter((m) => m.key !== 'cnnlens.input_spec' && m.key !== 'cnnlens.labels'),
    { key: 'cnnlens.input_spec', value: JSON.stringify(spec) },
    ...(model.labels ? [{ key: 'cnnlens.labels', value: JSON.stringify(model.labels) }] : []),
  ];
  return saveModel({ ...model.onnx, metadata });
}

export interface ServeOptions {
  readonly port?: number;
  readonly host?: string;
  readonly model?: string;
  readonly labelsFile?: string;
  readonly specFile?: string;
  /** where the built page is (default: the package's web/dist) */
  readonly webDir?: string;
  /** overrides of SERVER_LIMITS */
  readonly limits?: Partial<ServerLimits>;
}

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  readonly notes: readonly string[];
  /** URL paths served */
  readonly paths: readonly string[];
  close(): Promise<void>;
}

/** Builds the table of what is served and starts listening. */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const dir = options.webDir ?? webDist();
  if (!existsSync(join(dir, 'index.html'))) {
    fail('IO', `the explorer page is not built (no ${join(dir, 'index.html')}); build it with 'npm run build:web' or 'bash scripts/web.sh'.`);
  }
  const table = new Map<string, Entry>();
  const pageFiles = () => {
    const t = new Map<string, Entry>();
    addTree(t, dir, '/');
    if (t.has('/index.html')) t.set('/', t.get('/index.html')!);
    return t;
  };
  let page = pageFiles();
  let pageStamp = statSync(join(dir, 'index.html')).mtimeMs;
  /** after a rebuild of the page (index.html changed), its new file list */
  const lookup = (path: string): Entry | undefined => {
    const hit = table.get(path) ?? page.get(path);
    if (hit) return hit;
    const stamp = existsSync(join(dir, 'index.html')) ? statSync(join(dir, 'index.html')).mtimeMs : -1;
    if (stamp === pageStamp) return undefined;
    pageStamp = stamp;
    page = pageFiles();
    return page.get(path);
  };
  const { model, notes } = await loadImageModel(options.model, { ...(options.labelsFile ? { labelsFile: options.labelsFile } : {}), ...(options.specFile ? { specFile: options.specFile } : {}) });
  const json = (v: unknown): Entry => ({ type: 'application/json', bytes: new TextEncoder().encode(JSON.stringify(v)) });
  table.set('/model/model.onnx', { type: typeOf('.onnx'), bytes: servedModel(model) });
  table.set('/model/layers.json', json([...(model.layers ?? [])]));
  table.set('/model/info.json', json({ name: model.name, source: options.model ? basename(options.model) : model.source, onnx: 'model.onnx', layers: 'layers.json' }));
  const exampleDir = join(packageRoot(), 'examples', 'images');
  const examples = existsSync(exampleDir) ? readdirSync(exampleDir).filter((n) => /\.(png|jpe?g)$/i.test(n) && statSync(join(exampleDir, n)).isFile()).sort() : [];
  for (const n of examples) table.set(`/examples/${n}`, { type: typeOf(n), file: join(exampleDir, n) });
  table.set('/examples/index.json', json(examples));

  const limits: ServerLimits = { ...SERVER_LIMITS, ...options.limits };
  const gate = new ConcurrencyGate(limits.maxActive, limits.maxQueued);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, type: string, body: Uint8Array | string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...HEADERS, ...extra, 'Content-Type': type, 'Content-Length': typeof body === 'string' ? Buffer.byteLength(body) : body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (Buffer.byteLength(req.url ?? '') > limits.maxUrlBytes) return send(414, 'text/plain', 'request target too long\n', { Connection: 'close' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'only GET and HEAD\n', { Allow: 'GET, HEAD', Connection: 'close' });
    // nothing here takes a body; one is refused unread and the connection closed
    if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0) return send(413, 'text/plain', 'requests carry no body\n', { Connection: 'close' });
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'text/plain', 'bad request\n');
    }
    const admitted = gate.enter((release) => {
      // a client that left while its request waited frees its slot at once
      if (res.destroyed || req.socket.destroyed) return release();
      res.once('close', release);
      respond(path, req, res, send);
    });
    if (!admitted) send(503, 'text/plain', 'busy; retry shortly\n', { 'Retry-After': '1', Connection: 'close' });
  };
  const respond = (path: string, req: IncomingMessage, res: ServerResponse, send: (status: number, type: string, body: Uint8Array | string) => void) => {
    const entry = lookup(path);
    if (!entry) return send(404, 'text/plain', 'not found\n');
    if ('bytes' in entry) return send(200, entry.type, entry.bytes);
    let size: number;
    try {
      size = statSync(entry.file).size;
    } catch {
      return send(404, 'text/plain', 'not found\n');
    }
    res.writeHead(200, { ...HEADERS, 'Content-Type': entry.type, 'Content-Length': size });
    if (req.method === 'HEAD') return res.end();
    const stream = createReadStream(entry.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };
  const server = createServer({ maxHeaderSize: limits.maxHeaderBytes, headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs }, handler);
  server.maxConnections = limits.maxConnections;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8173;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  }).catch((e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRNOTAVAIL') fail('IO', `cannot listen on ${host}: no such address on this machine.`);
    if (code === 'EADDRINUSE') fail('IO', `port ${port} on ${host} is in use; choose another --port (0 picks a free one).`);
    fail('IO', `cannot listen on ${host}:${port}: ${(e as Error).message}.`);
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${actual}/`,
    server,
    notes,
    paths: [...table.keys(), ...page.keys()].sort(),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function portOption(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) fail('USAGE', `--port must be an integer from 0 to 65535, got '${v}'.`);
  return n;
}

export async function serveCommand(argv: string[], io: CliIO = processIO, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseCommandArgs('serve', argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    model: { type: 'string' },
    labels: { type: 'string' },
    spec: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, true);
  if (values.help) {
    io.out(SERVE_USAGE);
    return EXIT_OK;
  }
  if (positionals.length) fail('USAGE', `cnnlens serve takes no positional arguments (got '${positionals[0]}'); give the model with --model. Run 'cnnlens serve --help'.`);
  const port = portOption(values.port);
  const running = await startServer({
    ...(port !== undefined ? { port } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(values.model ? { model: values.model } : {}),
    ...(values.labels ? { labelsFile: values.labels } : {}),
    ...(values.spec ? { specFile: values.spec } : {}),
  });
  for (const n of running.notes) io.err(`${n}\n`);
  if (values.host && !/^(127\.|::1$|localhost$)/.test(values.host)) io.err(`note: listening on ${values.host}: other machines on the network can open the page and download the model.\n`);
  io.out(`cnnlens explorer: ${running.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    signal?.addEventListener('abort', stop, { once: true });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await running.close();
  return EXIT_OK;
}
