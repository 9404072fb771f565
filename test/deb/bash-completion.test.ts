import { execa } from 'execa';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, GLOBAL_OPTIONS } from '../../src/cli/spec.js';

// The completion script in bash, with bash-completion's two helpers it calls stood in for:
// _init_completion (fills cur, prev, words, cword) and _filedir (completes file names).
const COMPLETION = resolve(import.meta.dirname, '../../deb/rs-agent.bash-completion');

async function complete(line: string): Promise<string[]> {
  const script = `
    _init_completion() { words=("\${COMP_WORDS[@]}"); cword=$COMP_CWORD; cur=\${words[cword]}; prev=\${words[cword-1]}; }
    _filedir() { COMPREPLY=("<files:\${1:-any}>"); }
    source ${COMPLETION}
    read -ra COMP_WORDS <<< "$1"
    [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
    _rs_agent
    printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = await execa('bash', ['-c', script, 'bash', line]);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('bash completion', () => {
  it("completes commands, then each command's own options", async () => {
    expect(await complete('rs-agent ')).toEqual([
      'check',
      'drain',
      'fleet',
      'import',
      'install',
      'plan',
      'run',
      'start',
      'status',
      'stop',
      'undrain',
      'uninstall',
      'validate',
    ]);
    expect(await complete('rs-agent st')).toEqual(['start', 'status', 'stop']);
    expect(await complete('rs-agent check --')).toEqual([
      '--allow-insecure-config',
      '--config',
      '--fix',
      '--help',
      '--json',
      '--state-dir',
    ]);
    expect(await complete('rs-agent -c /etc/x.yaml run --log')).toEqual(['--log-format']);
  });

  it('completes option values: formats, config files, directories', async () => {
    expect(await complete('rs-agent run --log-format ')).toEqual(['json', 'text']);
    expect(await complete('rs-agent --config ')).toEqual(['<files:@(yaml|yml)>']);
    expect(await complete('rs-agent install --root ')).toEqual(['<files:-d>']);
    expect(await complete('rs-agent fleet ')).toEqual(['status']);
  });

  // The completion is written by hand: it must offer exactly what the CLI's one spec declares
  // (a flag that is on by default as its negation: drain --no-wait).
  it("offers every command and exactly each command's declared options", async () => {
    expect(await complete('rs-agent ')).toEqual(COMMANDS.map((c) => c.name).sort());
    for (const spec of COMMANDS) {
      const options = Object.entries({ ...GLOBAL_OPTIONS, ...spec.options }).map(([k, o]) =>
        o.type === 'boolean' && o.default === true ? `--no-${k}` : `--${k}`,
      );
      expect(await complete(`rs-agent ${spec.name} --`)).toEqual([...options, '--help'].sort());
    }
  });
});
