import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ImportError, importScript, parseImportArgs } from '../../src/migrate/import.js';

// Scripts from the field that import used to get wrong: each case is the fixture, the
// --arg values, and either the VIP lines of the YAML with every note, or the error.

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

interface Case {
  name: string;
  script: string; // a fixture name, or the script itself when it has a newline
  args?: string[];
  vips?: string[]; // the lines under vips:
  notes?: string[]; // line: reason
  error?: string[]; // the message, line by line
}

const ARG = "the script's argument $1 (line 3: LVS_VIP=$1): pass it with --arg 1=ADDRESS";
const cases: Case[] = [
  {
    name: 'VIP from $1 not given: says which argument, keeps the notes, no "broadcast is not an IP address"',
    script: 'vip-arg.sh',
    error: [
      `import vip-arg.sh: found no VIP: the VIP is $LVS_VIP, ${ARG}`,
      `  line 6: ifconfig lo:0 $LVS_VIP broadcast $LVS_VIP netmask 255.255.255.255 up: uses $LVS_VIP, ${ARG}`,
      `  line 7: route add -host $LVS_VIP dev lo:0: uses $LVS_VIP, ${ARG}`,
    ],
  },
  {
    name: 'VIP from $1 given with --arg 1=: the classic "broadcast $VIP" form reads clean',
    script: 'vip-arg.sh',
    args: ['1=192.0.2.50'],
    vips: ['  - 192.0.2.50  # line 6: ifconfig lo:0 $LVS_VIP broadcast $LVS_VIP netmask 255.255.255.255 up'],
    notes: [],
  },
  {
    name: 'a VIP list from $1 in a for loop: the error names the argument',
    script: 'VIPS="$1"\nfor v in $VIPS; do ifconfig lo:0 $v netmask 255.255.255.255 up; done\n',
    error: [
      'import x.sh: found no VIP: the VIP is $VIPS, the script\'s argument $1 (line 1: VIPS="$1"): pass it with --arg 1=ADDRESS',
      '  line 2: for v in $VIPS: uses $VIPS, the script\'s argument $1 (line 1: VIPS="$1"): pass it with --arg 1=ADDRESS',
    ],
  },
  {
    name: 'a VIP list from $1 given with --arg: one VIP per word',
    script: 'VIPS="$1"\nfor v in $VIPS; do ip addr add $v/32 dev lo; done\n',
    args: ['1=192.0.2.1 192.0.2.2'],
    vips: [
      '  - 192.0.2.1  # line 2: do ip addr add $v/32 dev lo',
      '  - 192.0.2.2  # line 2: do ip addr add $v/32 dev lo',
    ],
    notes: [],
  },
  {
    name: '${1:-default} without --arg: the default, said in the notes',
    script: 'vip-arg-default.sh',
    vips: ['  - 192.0.2.10  # line 5: /sbin/ifconfig lo:0 $VIP broadcast $VIP netmask 255.255.255.255 up'],
    notes: [
      '2: $1 not given: took the default 192.0.2.10; pass --arg 1=VALUE for another',
      '3: $2 not given: took the default start; pass --arg 2=VALUE for another',
    ],
  },
  {
    name: '${1:-default} with --arg 1=: the value given',
    script: 'vip-arg-default.sh',
    args: ['1=192.0.2.77', '2=start'],
    vips: ['  - 192.0.2.77  # line 5: /sbin/ifconfig lo:0 $VIP broadcast $VIP netmask 255.255.255.255 up'],
    notes: [],
  },
  {
    name: 'arrays: A[i]=, A=(a b), multi-line (...), ${A[@]}, "${A[@]}", for ((i < ${#A[@]})) with ${A[$i]}, ${A[1]}',
    script: 'arrays.sh',
    vips: [
      '  - 192.0.2.10  # line 10: ip addr add $vip/32 dev lo',
      '  - 192.0.2.11  # line 10: ip addr add $vip/32 dev lo',
      '  - "2001:db8::10"  # line 12: do ip -6 addr add $v/128 dev lo',
      '  - "2001:db8::11"  # line 12: do ip -6 addr add $v/128 dev lo',
      '  - 198.51.100.1  # line 14: ifconfig lo:$i ${MORE[$i]} netmask 255.255.255.255 up',
      '  - 198.51.100.2  # line 14: ifconfig lo:$i ${MORE[$i]} netmask 255.255.255.255 up',
    ],
    notes: [],
  },
  {
    name: 'ifconfig without netmask: the classful prefix the kernel gives, and what owning it on lo means',
    script: 'no-netmask.sh',
    vips: [
      '  - 10.1.2.3  # line 2: ifconfig lo:0 10.1.2.3 up',
      '  - 172.16.5.5  # line 3: ifconfig lo:1 172.16.5.5 up',
      '  - 192.0.2.9  # line 4: ifconfig lo:2 192.0.2.9 broadcast 192.0.2.9 up',
      '  - 192.0.2.10  # line 5: ifconfig lo:3 192.0.2.10 netmask 255.255.255.255 up',
      '  - 192.0.2.11  # line 6: ifconfig lo:4 192.0.2.11 netmask 255.255.0.0 up',
    ],
    notes: [
      '2: no netmask: the kernel gives 10.1.2.3 the prefix /8, so this host takes every address in 10.0.0.0/8 as its own; rs-agent adds the VIP as a single host (/32)',
      '3: no netmask: the kernel gives 172.16.5.5 the prefix /16, so this host takes every address in 172.16.0.0/16 as its own; rs-agent adds the VIP as a single host (/32)',
      '4: no netmask: the kernel gives 192.0.2.9 the prefix /24, so this host takes every address in 192.0.2.0/24 as its own; rs-agent adds the VIP as a single host (/32)',
      '6: netmask 255.255.0.0: the kernel gives 192.0.2.11 the prefix /16, so this host takes every address in 192.0.0.0/16 as its own; rs-agent adds the VIP as a single host (/32)',
    ],
  },
  {
    name: 'functions: only what start calls, transitively, with call arguments as $1 $2; stop and status helpers are not read',
    script: 'functions.sh',
    vips: ['  - 192.0.2.30  # line 12: ifconfig lo:$2 $1 netmask 255.255.255.255 up'],
    notes: [],
  },
  {
    name: 'functions: "$@" dispatch (nothing calls start) runs start; a case on a known value takes the branch it matches',
    script:
      'VIP=192.0.2.70\nfunction start {\n  case "$VIP" in\n    10.*) ip addr add 10.0.0.1/32 dev lo ;;\n    192.*) ip addr add $VIP/32 dev lo ;;\n    *) ip addr add 10.0.0.2/32 dev lo ;;\n  esac\n}\nstop() { echo 0 > /proc/sys/net/ipv4/conf/all/arp_ignore; }\n"$@"\n',
    vips: ['  - 192.0.2.70  # line 5: 192.*) ip addr add $VIP/32 dev lo'],
    notes: [],
  },
  {
    name: 'functions: `if ! do_start; then` in a start|restart branch runs do_start',
    script:
      'do_start()\n{\n  ifconfig lo:0 192.0.2.71 netmask 255.255.255.255 up\n}\ncase "$1" in\n  start|restart)\n    if ! do_start; then exit 1; fi\n    ;;\n  *) echo usage ;;\nesac\n',
    vips: ['  - 192.0.2.71  # line 3: ifconfig lo:0 192.0.2.71 netmask 255.255.255.255 up'],
    notes: [],
  },
  {
    name: "heredocs (<<EOF, <<-'END') are data, not commands",
    script: 'heredoc.sh',
    vips: ['  - 192.0.2.40  # line 11: ifconfig lo:0 $VIP netmask 255.255.255.255 up'],
    notes: [],
  },
  {
    name: 'no VIP: the notes already built are kept with the error',
    script: 'VIP=$(hostname -i)\nifconfig lo:0 $VIP netmask 255.255.255.255 up\nipvsadm -L\n',
    error: [
      'import x.sh: found no VIP: the VIP is $VIP (set on line 1 by a command): rs-agent import cannot know its value; add the VIP by hand',
      '  line 2: ifconfig lo:0 $VIP netmask 255.255.255.255 up: uses $VIP (set on line 1 by a command): rs-agent import cannot know its value; add the VIP by hand',
      '  line 3: ipvsadm -L: ipvsadm configures a director, not a real server',
    ],
  },
  {
    name: 'a Jinja template: names the placeholder',
    script: 'template.sh',
    error: [
      'import template.sh: found no VIP: the VIP is $VIP, the template placeholder {{ lvs_vip }} (line 3): render the template first, or pass the value with --arg lvs_vip=ADDRESS',
      '  line 4: ifconfig lo:0 $VIP netmask 255.255.255.255 up: uses $VIP, the template placeholder {{ lvs_vip }} (line 3): render the template first, or pass the value with --arg lvs_vip=ADDRESS',
    ],
  },
  {
    name: 'a Jinja template with the value passed',
    script: 'template.sh',
    args: ['lvs_vip=192.0.2.60'],
    vips: ['  - 192.0.2.60  # line 4: ifconfig lo:0 $VIP netmask 255.255.255.255 up'],
    notes: [],
  },
  {
    name: 'an ERB template in the command itself',
    script: 'template-erb.sh',
    error: [
      'import template-erb.sh: found no VIP: the script is a template: the VIP is the template placeholder <%= @vip %>: render the template first, or pass the value with --arg vip=ADDRESS',
      '  line 2: ip addr add <%= @vip %>/32 dev lo: the template placeholder <%= @vip %>: render the template first, or pass the value with --arg vip=ADDRESS',
    ],
  },
  {
    name: 'a ${{vip}} placeholder (no spaces) filled with --arg vip=',
    script: 'ip addr add ${{vip}}/32 dev lo\n',
    args: ['vip=192.0.2.61'],
    vips: ['  - 192.0.2.61  # line 1: ip addr add 192.0.2.61/32 dev lo'],
    notes: [],
  },
  {
    name: 'an empty VIP variable does not shift "broadcast" into the address',
    script:
      'VIP=""\nifconfig lo:0 $VIP broadcast $VIP netmask 255.255.255.255 up\nifconfig lo:1 192.0.2.5 broadcast 192.0.2.5 netmask 255.255.255.255 up\n',
    vips: ['  - 192.0.2.5  # line 3: ifconfig lo:1 192.0.2.5 broadcast 192.0.2.5 netmask 255.255.255.255 up'],
    notes: ['2: uses $VIP, empty at this point: rs-agent import cannot know the address; add the VIP by hand'],
  },
];

describe('rs-agent import on scripts from the field', () => {
  it.each(cases)('$name', ({ script, args = [], vips, notes, error }) => {
    const source = script.includes('\n') ? 'x.sh' : script;
    const run = () => importScript(script.includes('\n') ? script : fixture(script), source, parseImportArgs(args));
    if (error) {
      let thrown: unknown;
      try {
        run();
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ImportError);
      expect((thrown as Error).message.split('\n')).toEqual(error);
      return;
    }
    const { yaml, result } = run();
    expect(yaml.split('\n').filter((l) => /^  (- |  mode)/.test(l))).toEqual(vips);
    expect(result.notes.map((n) => `${n.line}: ${n.reason}`)).toEqual(notes);
    parseConfig(yaml, source); // what rs-agent validate does
  });
});

describe('parseImportArgs', () => {
  it('takes N=VALUE and NAME=VALUE; refuses anything else, and a key given twice', () => {
    expect(parseImportArgs(['1=192.0.2.10', 'vip=x=y'])).toEqual(
      new Map([
        ['1', '192.0.2.10'],
        ['vip', 'x=y'],
      ]),
    );
    expect(() => parseImportArgs(['192.0.2.10'])).toThrow('import: --arg "192.0.2.10": expected N=VALUE');
    expect(() => parseImportArgs(['0=x'])).toThrow('expected N=VALUE');
    expect(() => parseImportArgs(['1=a', '1=b'])).toThrow('import: --arg 1 given twice');
  });
});
