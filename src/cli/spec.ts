import { DEFAULT_CONFIG_PATH } from '../config/types.js';
import { DEFAULT_STATE_DIR } from '../state/state-file.js';

// The command line, declared once: main.ts builds yargs from it, and fast-args.ts parses
// the plain forms of the same options without loading yargs.

export interface OptionSpec {
  type: 'string' | 'boolean';
  describe: string;
  alias?: string; // one letter
  default?: string | boolean;
  defaultDescription?: string;
  choices?: readonly string[];
  // Read when the option is given (RS_AGENT_CONFIG): the default then.
  env?: string;
  array?: boolean; // may be given several times (yargs only: its command has a positional)
}

export interface CommandSpec {
  name: string;
  positional?: string; // e.g. "<file>": only yargs parses such commands
  positionalChoices?: readonly string[];
  describe: string;
  options: Record<string, OptionSpec>;
}

const json: Record<string, OptionSpec> = { json: { type: 'boolean', default: false, describe: 'print JSON' } };
const root: Record<string, OptionSpec> = {
  root: { type: 'string', default: '/', describe: 'install into this directory tree instead of /' },
};

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  config: {
    type: 'string',
    alias: 'c',
    env: 'RS_AGENT_CONFIG',
    default: DEFAULT_CONFIG_PATH,
    defaultDescription: `$RS_AGENT_CONFIG or ${DEFAULT_CONFIG_PATH}`,
    describe: 'config file (YAML)',
  },
  'state-dir': {
    type: 'string',
    env: 'RS_AGENT_STATE_DIR',
    default: DEFAULT_STATE_DIR,
    defaultDescription: `$RS_AGENT_STATE_DIR or ${DEFAULT_STATE_DIR}`,
    describe: 'where rs-agent records what it changed (created 0700)',
  },
  'allow-insecure-config': {
    type: 'boolean',
    default: false,
    describe: 'accept a config file (or a directory above it) that a user other than root could have written',
  },
};

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'validate', describe: 'check the config file; exit 0 valid, 2 invalid', options: {} },
  { name: 'plan', describe: 'print what start would change, in order; changes nothing', options: json },
  { name: 'start', describe: 'converge the host to the config (sysctls first, then addresses)', options: {} },
  {
    name: 'stop',
    describe: 'remove what rs-agent added and restore the original sysctls',
    options: {
      ...json,
      drain: {
        type: 'boolean',
        default: false,
        describe: 'drain first (as rs-agent drain, up to drain.timeout), then stop; drain.on_stop makes it the default',
      },
    },
  },
  {
    name: 'drain',
    describe:
      'take this server out of its pool (the health endpoint answers 503) and wait until no connection to a VIP is left: exit 0 drained, 1 at the timeout',
    options: {
      timeout: {
        type: 'string',
        describe: 'how long to wait: seconds or a duration such as 5m (default drain.timeout)',
      },
      wait: {
        type: 'boolean',
        default: true,
        describe: 'wait for the connections; --no-wait sets the drain and returns',
      },
    },
  },
  {
    name: 'undrain',
    describe: 'put this server back in its pool (removes the drain record); exit 1 when it was not drained',
    options: {},
  },
  {
    name: 'check',
    describe: 'compare the host with the config; exit 0 in sync, 1 drift, 2 error',
    options: {
      ...json,
      fix: { type: 'boolean', default: false, describe: 'repair the drift; exit 0 when in sync afterwards' },
    },
  },
  { name: 'status', describe: 'show what is configured, in place and recorded', options: json },
  {
    name: 'install',
    describe: 'install the systemd units, sysctl.d and modules-load.d files the config needs',
    options: {
      ...root,
      'allow-unsafe-path': {
        type: 'boolean',
        default: false,
        describe: 'write units naming this rs-agent although a user other than root could change it (a warning)',
      },
    },
  },
  { name: 'uninstall', describe: 'remove exactly what install wrote (files edited since are kept)', options: root },
  {
    name: 'import',
    positional: '<file>',
    describe: 'translate a real-server init script (lvsdrrip style) into config YAML on stdout',
    options: {
      arg: {
        type: 'string',
        array: true,
        describe:
          "a value for the script: N=VALUE for its argument $N (e.g. 1=192.0.2.10), NAME=VALUE for a template's {{ NAME }}",
      },
    },
  },
  {
    name: 'fleet',
    positional: '<action>',
    positionalChoices: ['status'],
    options: json,
    describe: 'the fleet as its store shows it (source.etcd): fleet status [--json]',
  },
  {
    name: 'run',
    describe: 'stay in the foreground and repair drift as it happens (the rs-agent-watch service)',
    options: {
      'log-format': {
        type: 'string',
        choices: ['json', 'text'],
        default: 'json',
        describe: 'one log line per event, as JSON or text',
      },
    },
  },
];

// An option's default, from its environment variable when that is set and not empty.
export function defaultOf(option: OptionSpec): string | boolean | undefined {
  const fromEnv = option.env ? process.env[option.env] : undefined;
  return fromEnv || option.default;
}
