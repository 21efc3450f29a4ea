/**
 * The `cnnlens` command: dispatches to subcommands. Exit codes: 0 success, 1 error (a typed error,
 * printed as `error [CODE]: message`), 2 bad usage.
 */
import { fail, listForMessage } from '../errors.js';
import { EXIT_OK, EXIT_USAGE, processIO, runWithExitCode, version, type CliIO, type CommandRun } from './common.js';
import { gradientCommand } from './gradient.js';
import { infoCommand } from './info.js';
import { explainCommand } from './explain.js';
import { dreamCommand } from './dream.js';
import { invertCommand, projectCommand } from './invert.js';
import { visualizeCommand } from './visualize.js';
import { serveCommand } from './serve.js';
import { batchCommand } from './batch.js';
import { workerCommand } from './worker.js';
import { evaluateCommand } from './evaluate.js';
import { searchCommand } from './search.js';
import { embedCommand } from './embed.js';
import { diffCommand } from './diff.js';

export interface Command {
  readonly summary: string;
  readonly run: CommandRun;
}

export const COMMANDS: Readonly<Record<string, Command>> = Object.freeze({
  explain: { summary: 'explain a classifier\'s decision on images: overlays, raw maps, figures (gradcam, saliency, ...)', run: (argv, io) => explainCommand(argv, io) },
  info: { summary: "list a model's inputs, outputs, ops and tensors (with conv feature maps)", run: infoCommand },
  gradient: { summary: 'gradient of a class score w.r.t. the input or a tensor, as .npy', run: (argv, io) => gradientCommand(argv, io) },
  visualize: { summary: 'images that maximize channels of a layer (activation maximization), or any objective', run: (argv, io) => visualizeCommand(argv, io) },
  dream: { summary: 'DeepDream of a picture: amplify what layers see in it', run: (argv, io) => dreamCommand(argv, io) },
  invert: { summary: "reconstruct a picture from a layer's representation (feature inversion)", run: (argv, io) => invertCommand(argv, io) },
  project: { summary: "deconvnet projection of a channel's strongest activation on a picture", run: (argv, io) => projectCommand(argv, io) },
  serve: { summary: 'serve the explorer web page (the model runs in the browser) on 127.0.0.1', run: (argv, io) => serveCommand(argv, io) },
  batch: { summary: 'explain a whole dataset into a folder, resumably (a manifest of what is done; failures recorded)', run: (argv, io) => batchCommand(argv, io) },
  worker: { summary: "explain the pictures 'batch --queue' puts on a Redis queue, on any number of machines", run: (argv, io) => workerCommand(argv, io) },
  evaluate: { summary: 'compare explanation methods on a dataset: deletion/insertion, average drop, infidelity, max-sensitivity, randomization check', run: (argv, io) => evaluateCommand(argv, io) },
  search: { summary: 'the dataset examples that activate each unit of a layer most, with receptive-field patches', run: (argv, io) => searchCommand(argv, io) },
  embed: { summary: "a layer's activations over a dataset in 2-D (t-SNE or UMAP): scatter PNG and interactive HTML", run: (argv, io) => embedCommand(argv, io) },
  diff: { summary: 'explain the same images with two versions of a model; where and how much the explanations changed', run: (argv, io) => diffCommand(argv, io) },
});

export function mainUsage(): string {
  const names = Object.keys(COMMANDS);
  const w = Math.max(...names.map((n) => n.length));
  return `Usage: cnnlens <command> [options]

Explains what convolutional image classifiers (ONNX, Keras, TF.js models) see.

Commands:
${names.map((n) => `  ${n.padEnd(w)}  ${COMMANDS[n]!.summary}`).join('\n')}

Options:
  -h, --help     show this help; 'cnnlens <command> --help' shows a command's options
  -v, --version  print the version

Exit codes: 0 success, 1 error, 2 bad usage.
`;
}

export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(mainUsage());
    return EXIT_USAGE;
  }
  if (first === '-h' || first === '--help') {
    io.out(mainUsage());
    return EXIT_OK;
  }
  if (first === '-v' || first === '--version') {
    io.out(`${version()}\n`);
    return EXIT_OK;
  }
  if (first === 'help') {
    const cmd = rest[0];
    if (cmd === undefined) {
      io.out(mainUsage());
      return EXIT_OK;
    }
    return main([cmd, '--help'], io);
  }
  return runWithExitCode(async () => {
    const command = COMMANDS[first];
    if (!command || !Object.hasOwn(COMMANDS, first)) {
      const what = first.startsWith('-') ? `unknown option '${first}'` : `unknown command '${first}'`;
      fail('USAGE', `${what}; commands are: ${listForMessage(Object.keys(COMMANDS))}. Run 'cnnlens --help'.`);
    }
    return command.run([...rest], io);
  }, io);
}
