#!/usr/bin/env node
import { globalOptions } from './common.js';
import { parseFastArgs, type CommandArgs } from './fast-args.js';
import { rerunWithLeanHeap } from './lean-heap.js';

// Argument parsing only: each command's module is loaded when it runs, so a cron
// `check` pays for nothing else. The plain forms skip yargs (see fast-args.ts).
type Args = CommandArgs & { root?: string; file?: string; 'log-format'?: 'json' | 'text' };

const COMMANDS = {
  validate: async () => (await import('./validate.js')).validateCommand,
  plan: async () => (await import('./plan.js')).planCommand,
  start: async () => (await import('./start.js')).startCommand,
  stop: async () => (await import('./start.js')).stopCommand,
  check: async () => (await import('./check.js')).checkCommand,
  status: async () => (await import('./status.js')).statusCommand,
  run: async () => (await import('./run.js')).runDaemonCommand,
  install: async () => (await import('./install.js')).installCommand,
  uninstall: async () => (await import('./install.js')).uninstallCommand,
  import: async () => (await import('./import.js')).importCommand,
  fleet: async () => (await import('./fleet.js')).fleetCommand,
};

type Name = keyof typeof COMMANDS;

// Loads a command's module only when that command runs (a big pass runs in a
// lean-heap node instead: see lean-heap.ts).
const lazy = (name: Name) => async (raw: unknown) => {
  const args = raw as Args;
  const status = rerunWithLeanHeap(name, args);
  if (status === null) await (await COMMANDS[name]())(args);
  else process.exitCode = status;
};

const json = { json: { type: 'boolean', default: false, describe: 'print JSON' } } as const;
const root = { root: { type: 'string', default: '/', describe: 'install into this directory tree instead of /' } } as const;

const argv = process.argv.slice(2);
const fast = parseFastArgs(argv);
if (fast) await lazy(fast.command)(fast.args);
else await globalOptions((await import('yargs')).default(argv))
  .scriptName('rs-agent')
  .usage('$0 <command> [options]\n\nProvisions and guards an LVS real server: VIPs on lo (DR) or tunl0 (TUN), ARP suppression, rp_filter.')
  .command('validate', 'check the config file; exit 0 valid, 2 invalid', {}, lazy('validate'))
  .command('plan', 'print what start would change, in order; changes nothing', json, lazy('plan'))
  .command('start', 'converge the host to the config (sysctls first, then addresses)', {}, lazy('start'))
  .command('stop', 'remove what rs-agent added and restore the original sysctls', {}, lazy('stop'))
  .command(
    'check',
    'compare the host with the config; exit 0 in sync, 1 drift, 2 error',
    { ...json, fix: { type: 'boolean', default: false, describe: 'repair the drift; exit 0 when in sync afterwards' } },
    lazy('check'),
  )
  .command('status', 'show what is configured, in place and recorded', json, lazy('status'))
  .command('install', 'install the systemd units, sysctl.d and modules-load.d files the config needs', root, lazy('install'))
  .command('uninstall', 'remove exactly what install wrote (files edited since are kept)', root, lazy('uninstall'))
  .command('import <file>', 'translate a real-server init script (lvsdrrip style) into config YAML on stdout', {}, lazy('import'))
  .command('fleet <action>', 'the fleet as its store shows it (source.etcd): fleet status [--json]',
    (y) => y.positional('action', { choices: ['status'] as const, describe: 'what to show' }).options(json), lazy('fleet'))
  .command(
    'run',
    'stay in the foreground and repair drift as it happens (the rs-agent-watch service)',
    { 'log-format': { choices: ['json', 'text'] as const, default: 'json' as const, describe: 'one log line per event, as JSON or text' } },
    lazy('run'),
  )
  .demandCommand(1, 'name a command: validate, plan, start, stop, check, status, run, fleet, install, uninstall or import')
  .strict()
  .fail((message, error, y) => {
    if (error) throw error;
    process.stderr.write(`${y.help() && ''}rs-agent: ${message}\nrun "rs-agent --help" for usage\n`);
    process.exit(2);
  })
  .help()
  .version()
  .wrap(Math.min(100, process.stdout.columns || 100))
  .parseAsync();
