/**
 * A persistent PyTorch worker (bench/torch_worker_common.py's request loop): one JSON request per
 * line on its stdin, one JSON reply per line on its stdout; a reply with `error` is thrown.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export class TorchWorker<Reply extends object> {
  private proc;
  private lines;

  /** `script`: the worker's file name in bench/; `env`: its environment (default: this process's) */
  constructor(script: string, env: NodeJS.ProcessEnv = process.env) {
    this.proc = spawn('/usr/bin/python3', [new URL(`./${script}`, import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'], env });
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  async run(req: object): Promise<Reply> {
    this.proc.stdin.write(JSON.stringify(req) + '\n');
    const { value, done } = await this.lines.next();
    if (done) throw new Error('torch worker exited');
    const r = JSON.parse(value as string) as Reply & { error?: string };
    if (r.error) throw new Error(`torch worker: ${r.error}`);
    return r;
  }

  close(): void {
    this.proc.stdin.end();
  }
}
