import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFastArgs } from '../../src/cli/fast-args.js';
import { COMMANDS, GLOBAL_OPTIONS } from '../../src/cli/spec.js';

// The forms parsed without yargs must mean exactly what yargs makes of them; every
// other form must be left to yargs (null).
describe('parseFastArgs', () => {
  const saved = { config: process.env.RS_AGENT_CONFIG, state: process.env.RS_AGENT_STATE_DIR };
  beforeEach(() => {
    delete process.env.RS_AGENT_CONFIG;
    delete process.env.RS_AGENT_STATE_DIR;
  });
  afterEach(() => {
    for (const [name, value] of [
      ['RS_AGENT_CONFIG', saved.config],
      ['RS_AGENT_STATE_DIR', saved.state],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const defaults = {
    config: '/etc/rs-agent/rs-agent.yaml',
    'state-dir': '/run/rs-agent',
    'allow-insecure-config': false,
  };

  it.each([
    [['check'], 'check', { ...defaults, json: false, fix: false }],
    [['check', '--fix'], 'check', { ...defaults, json: false, fix: true }],
    [['check', '--json', '--fix', '-c', '/a.yaml'], 'check', { ...defaults, config: '/a.yaml', json: true, fix: true }],
    [
      ['check', '--config=/a=b.yaml', '--state-dir', 's'],
      'check',
      { ...defaults, config: '/a=b.yaml', 'state-dir': 's', json: false, fix: false },
    ],
    [
      ['start', '--config', 'c.yaml', '--state-dir=/tmp/s'],
      'start',
      { ...defaults, config: 'c.yaml', 'state-dir': '/tmp/s' },
    ],
    [['start', '--allow-insecure-config'], 'start', { ...defaults, 'allow-insecure-config': true }],
    [['stop'], 'stop', { ...defaults, json: false, drain: false }],
    [['stop', '--json'], 'stop', { ...defaults, json: true, drain: false }],
    [['stop', '--drain'], 'stop', { ...defaults, json: false, drain: true }],
    [['drain', '--timeout', '90'], 'drain', { ...defaults, timeout: '90', wait: true }],
    [['undrain'], 'undrain', defaults],
    [['plan', '--json'], 'plan', { ...defaults, json: true }],
    [['status'], 'status', { ...defaults, json: false }],
    [['validate', '-c', 'x'], 'validate', { ...defaults, config: 'x' }],
  ])('%j → %s %j', (argv, command, args) => {
    expect(parseFastArgs(argv)).toEqual({ command, args });
  });

  it('takes the defaults from RS_AGENT_CONFIG and RS_AGENT_STATE_DIR, as yargs does', () => {
    process.env.RS_AGENT_CONFIG = '/env.yaml';
    process.env.RS_AGENT_STATE_DIR = '/env-state';
    expect(parseFastArgs(['start'])?.args).toEqual({
      config: '/env.yaml',
      'state-dir': '/env-state',
      'allow-insecure-config': false,
    });
    expect(parseFastArgs(['start', '-c', '/x.yaml'])?.args).toEqual({
      config: '/x.yaml',
      'state-dir': '/env-state',
      'allow-insecure-config': false,
    });
  });

  it.each([
    [[]],
    [['--help']],
    [['--version']],
    [['check', '--help']],
    [['daemon']],
    [['chek']],
    [['--json', 'check']],
    [['check', 'extra']],
    [['check', '--']],
    [['start', '--json']], // not a start option: yargs reports it
    [['stop', '--fix']],
    [['check', '--no-fix']],
    [['drain', '--no-wait']], // a negation: yargs's syntax
    [['check', '--fix=true']],
    [['check', '--fix', '--fix']],
    [['check', '--allow-insecure-config', '--allow-insecure-config']],
    [['check', '-c', 'a', '--config', 'b']],
    [['check', '--config']],
    [['check', '--config=']],
    [['check', '--config', '--json']],
    [['check', '-c=a.yaml']],
    [['check', '-ca.yaml']],
    [['check', '--stateDir', 's']],
    [['check', '-j']],
    [['constructor']],
    [['toString']],
  ])('%j goes to yargs', (argv) => {
    expect(parseFastArgs(argv)).toBeNull();
  });

  // One table drives both parsers: every option a command declares is taken on the fast
  // path with the value given, and every other command's option is left to yargs.
  it.each(COMMANDS.filter((c) => !c.positional).map((c) => [c.name, c] as const))(
    '%s: every declared option, and only those',
    (_name, spec) => {
      for (const [key, option] of Object.entries({ ...GLOBAL_OPTIONS, ...spec.options })) {
        const value = option.type === 'boolean' ? true : (option.choices?.[1] ?? '/some/value');
        const argv = option.type === 'boolean' ? [spec.name, `--${key}`] : [spec.name, `--${key}`, value as string];
        expect(parseFastArgs(argv)?.args[key]).toBe(value);
      }
      const foreign = COMMANDS.flatMap((c) => Object.keys(c.options)).filter((k) => !(k in spec.options));
      for (const key of foreign) expect(parseFastArgs([spec.name, `--${key}`, 'x'])).toBeNull();
    },
  );
});
