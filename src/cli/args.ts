// A small strict argument parser: known options only, values checked by the commands.
import { InvalidInputError } from '../errors.js';

export interface OptionSpec {
  /** Takes a value (`--table main` or `--table=main`); otherwise a flag. */
  value?: boolean;
  /** May be given more than once; its values are collected. */
  repeat?: boolean;
}

export interface Parsed {
  options: Map<string, string[]>;
  positionals: string[];
}

export function parseArgs(args: string[], specs: Record<string, OptionSpec>): Parsed {
  const options = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const spec = specs[name];
    if (!spec) throw new InvalidInputError(`unknown option ${JSON.stringify(name)}`);
    let value = '';
    if (spec.value) {
      if (eq > 0 && name !== arg) value = arg.slice(eq + 1);
      else if (i + 1 < args.length) value = args[++i];
      else throw new InvalidInputError(`option ${name} needs a value`);
    } else if (name !== arg) {
      throw new InvalidInputError(`option ${name} takes no value`);
    }
    const seen = options.get(name);
    if (seen && !spec.repeat) throw new InvalidInputError(`option ${name} given twice`);
    options.set(name, [...(seen ?? []), value]);
  }
  return { options, positionals };
}

export function expectPositionals(parsed: Parsed, min: number, max: number, what: string): string[] {
  const n = parsed.positionals.length;
  if (n < min) throw new InvalidInputError(`missing ${what}`);
  if (n > max) throw new InvalidInputError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}`);
  return parsed.positionals;
}

export function parseFamily(text: string | undefined): 4 | 6 | 'both' | undefined {
  if (text === undefined || text === 'both') return text;
  if (text === '4' || text === '6') return Number(text) as 4 | 6;
  throw new InvalidInputError(`invalid family: ${JSON.stringify(text)} (4, 6 or both)`);
}
