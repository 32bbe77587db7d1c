import type { OptionSpec, Parsed } from './args.js';

export interface Output {
  out(text: string): void;
  /** Warnings: to stderr, and no failure. */
  err(text: string): void;
  /** Raw text without a newline, resolved when the reader is ready for more (long output, streamed). */
  write?(text: string): Promise<void>;
}

/** Writes piece by piece where the output can stream, else all at once. */
export function writer(output: Output): { write(text: string): Promise<void>; end(): void } {
  if (output.write) return { write: (text) => output.write!(text), end: () => undefined };
  let all = '';
  return {
    write: async (text) => {
      all += text;
    },
    end: () => output.out(all.replace(/\n$/, '')),
  };
}

export interface Command {
  /** One line: the synopsis shown in usage hints. */
  synopsis: string;
  /** The --help text after the synopsis. */
  help: string;
  options: Record<string, OptionSpec>;
  /** Resolves with the exit code where it is not 0 (status's), or with nothing. */
  run(parsed: Parsed, output: Output, env: NodeJS.ProcessEnv): Promise<void | number>;
}

export const NETNS_OPTION = { '--netns': { value: true } } satisfies Record<string, OptionSpec>;
export const JSON_OPTION = { '--json': {} } satisfies Record<string, OptionSpec>;

export function optionValue(parsed: Parsed, name: string): string | undefined {
  return parsed.options.get(name)?.[0];
}
