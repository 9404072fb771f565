#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { globalOptions, type GlobalArgs } from './common.js';

// Argument parsing only: each command's module is loaded when it runs, so a cron
// `check` pays for nothing else.
type Args = GlobalArgs & { json?: boolean; fix?: boolean; 'log-format'?: 'json' | 'text' };

// Loads a command's module only when that command runs.
const lazy = (load: () => Promise<(args: Args) => Promise<void>>) => async (args: unknown) => (await load())(args as Args);

const json = { json: { type: 'boolean', default: false, describe: 'print JSON' } } as const;

await globalOptions(yargs(hideBin(process.argv)))
  .scriptName('rs-agent')
  .usage('$0 <command> [options]\n\nProvisions and guards an LVS real server: VIPs on lo (DR) or tunl0 (TUN), ARP suppression, rp_filter.')
  .command('validate', 'check the config file; exit 0 valid, 2 invalid', {}, lazy(async () => (await import('./validate.js')).validateCommand))
  .command('plan', 'print what start would change, in order; changes nothing', json, lazy(async () => (await import('./plan.js')).planCommand))
  .command('start', 'converge the host to the config (sysctls first, then addresses)', {}, lazy(async () => (await import('./start.js')).startCommand))
  .command('stop', 'remove what rs-agent added and restore the original sysctls', {}, lazy(async () => (await import('./start.js')).stopCommand))
  .command(
    'check',
    'compare the host with the config; exit 0 in sync, 1 drift, 2 error',
    { ...json, fix: { type: 'boolean', default: false, describe: 'repair the drift; exit 0 when in sync afterwards' } },
    lazy(async () => (await import('./check.js')).checkCommand),
  )
  .command('status', 'show what is configured, in place and recorded', json, lazy(async () => (await import('./status.js')).statusCommand))
  .command(
    'run',
    'stay in the foreground and repair drift as it happens (the rs-agent-watch service)',
    { 'log-format': { choices: ['json', 'text'] as const, default: 'json' as const, describe: 'one log line per event, as JSON or text' } },
    lazy(async () => (await import('./run.js')).runDaemonCommand),
  )
  .demandCommand(1, 'name a command: validate, plan, start, stop, check, status or run')
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
