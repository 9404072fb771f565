import { parseArgs } from 'node:util';
import type { GlobalArgs } from './common.js';
import { COMMANDS, defaultOf, GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from './spec.js';

// The argument forms cron lines and units use, parsed without yargs: loading yargs
// costs more than a converged `check` costs to run. The options come from the one spec
// (spec.ts); only a strict subset of their forms is taken here: the command first, then
// its own options and the global ones, each at most once, a value as the next word or
// after '=' on a long option. Anything else (help, --version, a typo, --no-json, a value
// that looks like an option, a positional) returns null and goes to yargs, which owns the
// full syntax and every usage error.

export type CommandName = string;
export type CommandArgs = GlobalArgs & Record<string, string | boolean | undefined>;

export function parseFastArgs(argv: readonly string[]): { command: CommandName; args: CommandArgs } | null {
  const [name, ...rest] = argv;
  const spec = COMMANDS.find((c) => c.name === name);
  if (spec === undefined || spec.positional !== undefined) return null;
  const options = { ...GLOBAL_OPTIONS, ...spec.options };
  const tokens = tokenize(rest, options);
  if (tokens === null) return null;
  const seen = new Set<string>();
  const given: Record<string, string | boolean> = {};
  for (const token of tokens) {
    if (token.kind !== 'option') return null; // a positional, or "--"
    const option = options[token.name] as OptionSpec;
    if (seen.has(token.name)) return null;
    seen.add(token.name);
    if (option.type === 'boolean') {
      given[token.name] = true;
      continue;
    }
    // -cFILE and -c=FILE are yargs' to judge; so are empty values and ones like options.
    if (token.inlineValue && !token.rawName.startsWith('--')) return null;
    const value = token.value;
    if (value === undefined || value === '' || value.startsWith('-')) return null;
    if (option.choices && !option.choices.includes(value)) return null;
    given[token.name] = value;
  }
  return { command: spec.name, args: withDefaults(spec, given) };
}

type Token = ReturnType<typeof parseArgs>['tokens'] extends (infer T)[] | undefined ? T : never;

function tokenize(args: string[], options: Record<string, OptionSpec>): Token[] | null {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [key, option] of Object.entries(options))
    config[key] = { type: option.type, ...(option.alias ? { short: option.alias } : {}) };
  try {
    return parseArgs({ args, options: config, strict: true, allowPositionals: true, tokens: true }).tokens;
  } catch {
    return null;
  }
}

function withDefaults(spec: CommandSpec, given: Record<string, string | boolean>): CommandArgs {
  const args: Record<string, string | boolean | undefined> = {};
  for (const [key, option] of Object.entries({ ...GLOBAL_OPTIONS, ...spec.options }))
    args[key] = given[key] ?? defaultOf(option);
  return args as CommandArgs;
}
