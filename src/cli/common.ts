/** What every `cnnlens` subcommand shares: output streams, argument parsing, exit codes. */
import { readFileSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CnnlensError, fail } from '../errors.js';

/** Where a command writes; tests pass their own. Texts are written as given (add the newline). */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

export const processIO: CliIO = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** A subcommand: returns its exit code on success and throws CnnlensError on failure. */
export type CommandRun = (argv: string[], io?: CliIO) => Promise<number>;

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its errors turned into USAGE errors that name the command. */
export function parseCommandArgs<O extends OptionsConfig>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals: boolean,
): ReturnType<typeof parseArgs<{ options: O; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String((e as { code: unknown }).code) : '';
    if (code.startsWith('ERR_PARSE_ARGS')) {
      fail('USAGE', `${(e as Error).message.replace(/\. To specify a positional argument.*$/s, '.')} Run 'cnnlens ${command} --help'.`);
    }
    throw e;
  }
}

/** The value of a string option given at most once (parseArgs keeps the last when repeated). */
export function requireOption(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value === '') fail('USAGE', `cnnlens ${command} needs --${name}. Run 'cnnlens ${command} --help'.`);
  return value;
}

/** Fails with an IO error naming the first path that is not an existing file. */
export function requireFiles(paths: readonly string[]): void {
  for (const p of paths) {
    let ok = false;
    try {
      ok = statSync(p).isFile();
    } catch {
      fail('IO', `input '${p}' does not exist.`);
    }
    if (!ok) fail('IO', `input '${p}' is not a file.`);
  }
}

export function version(): string {
  // package.json sits two levels above both src/cli/ and dist/cli/
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs a command and maps its outcome to an exit code: typed errors print one line, no stack. */
export async function runWithExitCode(run: () => Promise<number>, io: CliIO): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof CnnlensError) {
      io.err(`error [${e.code}]: ${e.message}\n`);
      return e.code === 'USAGE' ? EXIT_USAGE : EXIT_ERROR;
    }
    // anything else is a bug in cnnlens: keep the stack for the report
    io.err(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT_ERROR;
  }
}

/** Lays rows out as left-aligned columns separated by two spaces, without trailing blanks. */
export function table(rows: readonly (readonly string[])[], indent = ''): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd() + '\n').join('');
}
