/**
 * Builds the explorer into web/dist: the page, the engine worker, and onnxruntime-web's WebAssembly
 * files copied from the npm package to dist/ort/ (served by the page itself, never from a CDN). ORT is
 * used in its "extern wasm" form so that its threads load ORT's own unbundled script.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);
// the package exports its wasm file, whose folder holds the rest
const ortDist = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
const ORT_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

/** Cross-origin isolation: WebAssembly threads need SharedArrayBuffer. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function ortFiles(): Plugin {
  return {
    name: 'cnnlens-ort-files',
    generateBundle() {
      for (const f of ORT_FILES) this.emitFile({ type: 'asset', fileName: `ort/${f}`, source: readFileSync(join(ortDist, f)) });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /^\/ort\/([\w.-]+)$/.exec((req.url ?? '').split('?')[0]!);
        if (!m || !ORT_FILES.includes(m[1]!)) return next();
        res.setHeader('Content-Type', m[1]!.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
        res.end(readFileSync(join(ortDist, m[1]!)));
      });
    },
  };
}

export default defineConfig({
  root: dirname(fileURLToPath(import.meta.url)),
  base: './',
  plugins: [ortFiles()],
  resolve: {
    alias: {
      'onnxruntime-web/wasm': join(ortDist, 'ort.wasm.min.mjs'),
      'onnxruntime-web/webgpu': join(ortDist, 'ort.webgpu.min.mjs'),
    },
  },
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8000 },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
});
