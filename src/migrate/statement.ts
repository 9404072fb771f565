import type { Budget } from './bounds.js';
import { echo, ifconfig, ip, note, route, sysctl } from './commands.js';
import { expandWords } from './shell-words.js';
import { findPlaceholder } from './template.js';
import type { Findings, Origin } from './types.js';
import type { Variables } from './variables.js';

// Commands that change nothing rs-agent manages: passed over without a note.
const SILENT = new Set([
  '[',
  '[[',
  'test',
  'true',
  'false',
  ':',
  'exit',
  'return',
  'sleep',
  'logger',
  'set',
  'shift',
  'unset',
  'wait',
  '.',
  'source',
  'action',
  'success',
  'failure',
  'echo_success',
  'echo_failure',
  'touch',
  'rm',
  'printf',
  'usage',
  'daemon',
  'killproc',
  'status',
  'export',
  'readonly',
  'local',
  'declare',
  'typeset',
  'umask',
  'cd',
  'cat',
  'read',
]);

// What a statement needs from the walk that reached it.
export interface Walk {
  readonly budget: Budget;
  readonly findings: Findings;
  readonly variables: Variables;
  readonly skipping: boolean; // in a branch that `start` does not take
  isFunction(name: string): boolean;
  call(name: string, args: string[]): void;
}

// One simple statement: an assignment (tracked even in skipped branches: a later line
// may use it), a call of the script's own function, or a command translated to findings
// or a note.
export function translateStatement(walk: Walk, at: Origin, text: string): void {
  const vars = walk.variables;
  const template = findPlaceholder(text);
  const assignment =
    /^(?:(?:export|readonly|local|declare|typeset)(?:\s+-\w+)*\s+)?([A-Za-z_]\w*)(\[[^\]]*\])?(\+?)=(.*)$/.exec(text);
  if (template && assignment) {
    vars.forget(assignment[1] as string, {
      why: `$${assignment[1]}, the template placeholder ${template.placeholder} (line ${at.line})`,
      remedy: templateRemedy(template.name),
    });
    return;
  }
  if (template) {
    if (walk.skipping) return;
    const reason = `the template placeholder ${template.placeholder}: ${templateRemedy(template.name).replace('VALUE', 'ADDRESS')}`;
    note(walk.findings, at, reason);
    if (/^\S*(ifconfig|ip)\s/.test(text)) walk.findings.missing.push(`the script is a template: the VIP is ${reason}`);
    return;
  }
  const array = assignment && !assignment[2] ? /^\((.*)\)$/.exec(assignment[4] as string) : null;
  if (assignment && array)
    return vars.assignArray(at, assignment[1] as string, array[1] as string, assignment[3] === '+');
  const w = expandWords(text, vars.values, walk.budget);
  // In a pipeline, only the first command can change anything rs-agent manages.
  let words = w.words.includes('|') ? w.words.slice(0, w.words.indexOf('|')) : w.words;
  while (['export', 'readonly', 'local', 'declare', 'typeset', 'sudo'].includes(words[0] ?? '')) words = words.slice(1);
  for (const d of w.defaulted) {
    if (vars.calls.length === 0)
      note(
        walk.findings,
        at,
        `$${d.param} not given: took the default ${d.value}; pass --arg ${d.param}=VALUE for another`,
      );
  }
  if (words.length > 0 && words.every((word) => /^[A-Za-z_]\w*(\[[^\]]*\])?=/.test(word))) {
    for (const word of words) vars.assign(at, word, w.unresolved);
    return;
  }
  if (walk.skipping || words.length === 0) return;
  const command = (words[0] as string).replace(/^.*\//, '');
  const args = words.slice(1);
  const f = walk.findings;
  if (walk.isFunction(command)) return walk.call(command, args);
  if (
    ['ifconfig', 'ip', 'route', 'sysctl'].includes(command) ||
    (command === 'echo' && w.redirects.some((r) => r.target.startsWith('/proc/sys/')))
  ) {
    // An empty variable would shift the words: `ifconfig lo:0 $VIP broadcast $VIP` reads as no address.
    const empty = [...text.matchAll(/\$([A-Za-z_]\w*)|\$\{([A-Za-z_]\w*)\}/g)]
      .map((m) => (m[1] ?? m[2]) as string)
      .filter((n) => vars.values.get(n) === '');
    if (empty.length > 0 && command !== 'echo' && command !== 'sysctl') {
      return note(
        f,
        at,
        `uses ${[...new Set(empty)].map((n) => `$${n}`).join(', ')}, empty at this point: rs-agent import cannot know the address; add the VIP by hand`,
      );
    }
    if (w.unresolved.length > 0) {
      const addsVip =
        command === 'ifconfig' ||
        (command === 'ip' && args.includes('add') && !args.some((a) => 'route'.startsWith(a) && a.length > 1));
      const value = command === 'echo' || command === 'sysctl' ? 'VALUE' : 'ADDRESS';
      return vars.noteUnknown(f, at, w.unresolved, value, addsVip);
    }
  }
  switch (command) {
    case 'ifconfig':
      return ifconfig(f, args, at);
    case 'ip':
      return ip(f, args, at);
    case 'route':
      return route(f, args, at);
    case 'sysctl':
      return sysctl(f, args, at);
    case 'echo':
      return echo(f, w, at);
    case 'modprobe':
    case 'insmod': {
      const name =
        args
          .filter((a) => !a.startsWith('-'))[0]
          ?.replace(/^.*\//, '')
          .replace(/\.ko$/, '') ?? '';
      if (name === 'ipip' || name === 'ip6_tunnel') f.modules.push({ name, ...at });
      else if (!args.includes('-r'))
        note(f, at, `loads ${name}: rs-agent loads only ipip and ip6_tunnel, when TUN VIPs need them`);
      return;
    }
    case 'ipvsadm':
      return note(f, at, 'ipvsadm configures a director, not a real server');
    case 'arping':
    case 'arp':
      return note(
        f,
        at,
        'not translated: rs-agent keeps the real server silent about VIPs rather than announcing them',
      );
  }
  if (SILENT.has(command) || command.startsWith('log_') || /(^|\/)(init-)?functions$/.test(words[0] as string)) return;
  note(f, at, 'not translated');
}

function templateRemedy(name: string | null): string {
  return `render the template first${name ? `, or pass the value with --arg ${name}=VALUE` : ''}`;
}
