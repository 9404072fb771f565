#!/usr/bin/env node
import { routeNodeWarnings } from '../system/node-warnings.js';
import { printError } from './common.js';
import { parseFastArgs, type CommandArgs } from './fast-args.js';
import { HELP_WIDTH, prebuiltUsage } from './prebuilt-usage.js';
import { COMMANDS as SPECS, defaultOf, GLOBAL_OPTIONS, type OptionSpec } from './spec.js';

// Argument parsing only: each command's module is loaded when it runs, so a cron
// `check` pays for nothing else. The plain forms skip yargs (see fast-args.ts); both
// paths read the one option table in spec.ts. So do --version and --help where yargs
// would print what it printed at build time (prebuilt-usage.ts).
const COMMANDS: Record<string, () => Promise<(args: CommandArgs) => Promise<void>>> = {
  validate: async () => (await import('./validate.js')).validateCommand,
  plan: async () => (await import('./plan.js')).planCommand,
  start: async () => (await import('./start.js')).startCommand,
  stop: async () => (await import('./start.js')).stopCommand,
  drain: async () => (await import('./drain.js')).drainCommand as (args: CommandArgs) => Promise<void>,
  undrain: async () => (await import('./drain.js')).undrainCommand,
  check: async () => (await import('./check.js')).checkCommand,
  status: async () => (await import('./status.js')).statusCommand,
  run: async () => (await import('./run.js')).runDaemonCommand as (args: CommandArgs) => Promise<void>,
  install: async () => (await import('./install.js')).installCommand,
  uninstall: async () => (await import('./install.js')).uninstallCommand,
  import: async () => (await import('./import.js')).importCommand,
  fleet: async () => (await import('./fleet.js')).fleetCommand,
};

// Loads a command's module only when that command runs.
const lazy = (name: string) => async (raw: unknown) => {
  await (
    await (COMMANDS[name] as () => Promise<(args: CommandArgs) => Promise<void>>)()
  )(raw as CommandArgs);
  if (name !== 'run') endNow();
};

// Ends the process once a command has done its work and said so, with its exit status,
// instead of leaving node to take its environment and heap apart on the way out (about
// 4 of a converged check's 14 ms from its last output to its end). Not while some of what
// it wrote waits for a slow reader (a pipe takes 64 KiB, then node queues the rest): node's
// own way out writes it first. Nothing else is left running: every command awaits what it
// starts. Not the daemon, which ends as before.
function endNow(): void {
  if (process.stdout.writableLength > 0 || process.stderr.writableLength > 0) return;
  process.exit();
}

// An option as yargs declares it.
const yargsOption = (o: OptionSpec) => ({
  type: o.type,
  describe: o.describe,
  ...(o.alias ? { alias: o.alias } : {}),
  ...(o.default !== undefined ? { default: defaultOf(o) } : {}),
  ...(o.defaultDescription ? { defaultDescription: o.defaultDescription } : {}),
  ...(o.choices ? { choices: o.choices } : {}),
  ...(o.array ? { array: true, requiresArg: true } : {}),
});

routeNodeWarnings((text) => printError(`warning: ${text}`));
void main(process.argv.slice(2));

// The build runs this file as a plain script (build/bundle.mjs), where top-level await
// does not exist.
async function main(argv: string[]): Promise<void> {
  const fast = parseFastArgs(argv);
  if (fast) return lazy(fast.command)(fast.args);
  const usage = prebuiltUsage(argv);
  if (usage !== null) {
    process.stdout.write(usage);
    endNow();
    return;
  }
  let y = (await import('yargs'))
    .default(argv)
    .scriptName('rs-agent')
    .usage(
      '$0 <command> [options]\n\nProvisions and guards an LVS real server: VIPs on lo (DR) or tunl0 (TUN), ARP suppression, rp_filter.',
    );
  for (const [key, option] of Object.entries(GLOBAL_OPTIONS))
    y = y.option(key, { ...yargsOption(option), global: true });
  for (const spec of SPECS) {
    const options = Object.fromEntries(Object.entries(spec.options).map(([key, o]) => [key, yargsOption(o)]));
    const choices = spec.positionalChoices;
    const builder = (yy: typeof y) =>
      (choices ? yy.positional(spec.positional!.slice(1, -1), { choices }) : yy).options(options);
    y = y.command(
      spec.positional ? `${spec.name} ${spec.positional}` : spec.name,
      spec.describe,
      builder as never,
      lazy(spec.name),
    );
  }
  await y
    .demandCommand(1, `name a command: ${SPECS.map((s) => s.name).join(', ')}`)
    .strict()
    .fail((message, error, yy) => {
      if (error) throw error;
      yy.help();
      printError(message);
      process.stderr.write('run "rs-agent --help" for usage\n');
      process.exit(2);
    })
    .help()
    .version()
    .wrap(Math.min(HELP_WIDTH, process.stdout.columns || HELP_WIDTH))
    .parseAsync();
}
