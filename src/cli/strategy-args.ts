// The strategy's flags (`--strategy halves|rules`, `--table N`, `--priority N`) as up, hook up and install-hook
// take them, and the lines that say what a rules redirect changed.
import { InvalidInputError } from '../errors.js';
import type { RedirectResult, UpOptions } from '../redirect/index.js';
import type { Parsed } from './args.js';
import { optionValue } from './command.js';
import { formatChange } from './format.js';

export const STRATEGY_OPTIONS = {
  '--strategy': { value: true },
  '--table': { value: true },
  '--priority': { value: true },
};

export const STRATEGY_HELP = `  --strategy S   halves (default: two /1 routes in main) or rules (a table of ours and policy rules; main
                 is not touched, and the server follows main's default route at once when it changes)
  --table N      with --strategy rules: our table (157 by default)
  --priority N   with --strategy rules: the first of our four rule priorities (30157 by default)`;

function number(parsed: Parsed, name: string): number | undefined {
  const text = optionValue(parsed, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new InvalidInputError(`invalid ${name.slice(2)}: ${JSON.stringify(text)}`);
  return Number(text);
}

export function strategyArgs(parsed: Parsed): Pick<UpOptions, 'strategy' | 'table' | 'priority'> {
  return {
    strategy: optionValue(parsed, '--strategy') as UpOptions['strategy'],
    table: number(parsed, '--table'),
    priority: number(parsed, '--priority'),
  };
}

/** The same flags, for a hook script's command line. */
export function strategyFlags(parsed: Parsed): string[] {
  return Object.keys(STRATEGY_OPTIONS).flatMap((name) => {
    const value = optionValue(parsed, name);
    return value === undefined ? [] : [name, value];
  });
}

/** Route changes and rule changes, a line each. */
export function resultLines(result: RedirectResult): string[] {
  const verb = { add: 'added', delete: 'deleted' } as const;
  const rules = (result.rules ?? []).map(({ op, rule }) => {
    const what = rule.action === 'lookup' ? `lookup ${String(rule.table)}` : String(rule.action);
    const suppress =
      rule.suppressPrefixLength !== undefined ? ` suppress_prefixlength ${rule.suppressPrefixLength}` : '';
    const family = rule.dst ? '' : ` (IPv${rule.family})`;
    return `${verb[op]} rule ${rule.priority}: ${rule.dst ? `to ${rule.dst} ` : ''}${what}${suppress}${family}`;
  });
  return [...result.changes.map(formatChange), ...rules, ...(result.dns ?? [])];
}
