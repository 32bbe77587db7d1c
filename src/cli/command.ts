import type { OptionSpec, Parsed } from './args.js';

export interface Output {
  out(text: string): void;
  /** Warnings: to stderr, and no failure. */
  err(text: string): void;
}

export interface Command {
  /** One line: the synopsis shown in usage hints. */
  synopsis: string;
  /** The --help text after the synopsis. */
  help: string;
  options: Record<string, OptionSpec>;
  run(parsed: Parsed, output: Output, env: NodeJS.ProcessEnv): Promise<void>;
}

export const NETNS_OPTION = { '--netns': { value: true } } satisfies Record<string, OptionSpec>;
export const JSON_OPTION = { '--json': {} } satisfies Record<string, OptionSpec>;

export function optionValue(parsed: Parsed, name: string): string | undefined {
  return parsed.options.get(name)?.[0];
}
