#!/usr/bin/env node
// The installed command; runs the compiled CLI (npm run build writes dist/).
import { main } from '../dist/cli/main.js';

// `cnnlens info M.onnx | head` closes stdout early: that is not an error
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));
