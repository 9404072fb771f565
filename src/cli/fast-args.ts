import { defaultConfigPath, defaultStateDir, type GlobalArgs } from './common.js';

// The argument forms cron lines and units use, parsed without yargs: loading yargs
// costs more than a converged `check` costs to run. Only a strict subset is taken
// here: the command first, then its own flags and --config/-c/--state-dir, each at
// most once, each value given as the next word or after '='. Anything else (help,
// --version, a typo, --no-json, a value that looks like a flag) returns null and goes
// to yargs, which owns the full syntax and every usage error.

export type CommandName = 'validate' | 'plan' | 'start' | 'stop' | 'check' | 'status' | 'run';
export type CommandArgs = GlobalArgs & { json?: boolean; fix?: boolean };

// Each command's boolean flags, as declared to yargs in main.ts.
const FLAGS: Record<CommandName, readonly ('json' | 'fix')[]> = {
  validate: [],
  plan: ['json'],
  start: [],
  stop: ['json'],
  check: ['json', 'fix'],
  status: ['json'],
  run: [], // --log-format goes through yargs
};

const VALUE_OPTIONS: Record<string, 'config' | 'state-dir'> = { '--config': 'config', '-c': 'config', '--state-dir': 'state-dir' };

export function parseFastArgs(argv: readonly string[]): { command: CommandName; args: CommandArgs } | null {
  const [command, ...rest] = argv;
  if (command === undefined || !Object.hasOwn(FLAGS, command)) return null;
  const flags = FLAGS[command as CommandName];
  const seen = new Set<string>();
  const values: Partial<Record<'config' | 'state-dir', string>> = {};
  const booleans: Partial<Record<'json' | 'fix', boolean>> = {};
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] as string;
    const eq = word.indexOf('=');
    const name = eq > 0 && word.startsWith('--') ? word.slice(0, eq) : word;
    const flag = name.startsWith('--') ? (name.slice(2) as 'json' | 'fix') : null;
    if (flag !== null && flags.includes(flag) && name === word) {
      if (seen.has(flag)) return null;
      seen.add(flag);
      booleans[flag] = true;
      continue;
    }
    if (word === '--allow-insecure-config' && !seen.has(word)) {
      seen.add(word);
      continue;
    }
    const key = VALUE_OPTIONS[name];
    if (key === undefined || seen.has(key)) return null;
    seen.add(key);
    const value = name === word ? rest[++i] : word.slice(eq + 1);
    if (value === undefined || value === '' || value.startsWith('-')) return null;
    values[key] = value;
  }
  const args: CommandArgs = {
    config: values.config ?? defaultConfigPath(),
    'state-dir': values['state-dir'] ?? defaultStateDir(),
    'allow-insecure-config': seen.has('--allow-insecure-config'),
  };
  for (const flag of flags) args[flag] = booleans[flag] ?? false;
  return { command: command as CommandName, args };
}
