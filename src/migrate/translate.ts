import { echo, ifconfig, ip, note, route, sysctl } from './commands.js';
import { collectFunctions } from './shell-functions.js';
import { splitStatements, type Statement } from './shell-split.js';
import { arithmetic, arrayIndices, expandWords } from './shell-words.js';
import { findPlaceholder } from './template.js';
import type { Findings, Origin } from './types.js';

// Walks a real-server script the way it runs on `start`: the code outside functions,
// the start branch of a `case "$1"`, and the functions these call, transitively (with
// the arguments of each call as $1, $2 ...). Stop, status and usage branches, and the
// functions only they call, are skipped (rs-agent stop, status and check replace them).
// When nothing calls a function (a script sourced by another), the functions named
// like start run. Variables and arrays are tracked in order; `for NAME in LIST` and
// `for ((i = 0; i < N; i++))` loops are unrolled.

type Section = 'run' | 'skip';

// An open `case WORD in`: the section to return to at esac, the word when the script
// knows it (else the branch `start` takes runs), and whether a branch matched already.
interface Case {
  outer: Section;
  subject: string | null;
  matched: boolean;
}

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
  'umask',
  'cd',
  'cat',
  'read',
  'typeset',
]);

const MAX_UNROLL = 256;

// A variable whose value only running (or rendering) the script would give.
interface Unknown {
  why: string; // "$VIP, the script's argument $1 (line 3: VIP=$1)"
  remedy?: string; // with VALUE where the value goes
}

export interface ScriptArgs {
  positional?: ReadonlyMap<string, string>; // "1" → value, from --arg 1=VALUE
}

export function findScript(script: string, args: ScriptArgs = {}): Findings {
  const program = collectFunctions(splitStatements(script));
  const walker = new Walker(program.functions, args.positional ?? new Map());
  walker.walk(program.statements);
  if (walker.called.size === 0) {
    for (const name of program.functions.keys()) {
      if (/start/i.test(name) && !/stop|restart/i.test(name)) walker.call(name, []);
    }
  }
  return walker.findings;
}

class Walker {
  readonly findings: Findings = {
    vips: [],
    arpIgnore: [],
    arpAnnounce: [],
    rpFilter: [],
    routes: [],
    modules: [],
    notes: [],
    missing: [],
  };
  readonly called = new Set<string>();
  private readonly vars = new Map<string, string>();
  private readonly unknown = new Map<string, Unknown>();
  private readonly active: string[] = []; // the functions being walked, innermost last
  private section: Section = 'run';
  private outer: Case[] = []; // the open case statements, innermost last
  private expectPattern = false;

  constructor(
    private readonly functions: ReadonlyMap<string, Statement[]>,
    positional: ReadonlyMap<string, string>,
  ) {
    for (const [n, value] of positional) this.vars.set(n, value);
    if (positional.size > 0) this.vars.set('#', String(Math.max(...[...positional.keys()].map(Number))));
  }

  walk(statements: Statement[]): void {
    for (let i = 0; i < statements.length; i++) {
      const statement = statements[i] as Statement;
      let text = statement.text;
      while (/^(then|do|else|\{)\s+/.test(text)) text = text.replace(/^\S+\s+/, '');
      if (['then', 'do', 'else', 'fi', 'done', '{', '}'].includes(text)) continue;
      const condition = /^(?:if|elif|while|until)\s+(?:!\s+)?(.*)$/.exec(text);
      if (condition) {
        // `if start; then`: the call runs; any other test changes nothing.
        if (!this.functions.has((condition[1] as string).split(/\s/)[0] as string)) continue;
        text = condition[1] as string;
      }
      const loop = /^for\s+([A-Za-z_]\w*)\s+in\s+(.*)$/.exec(text);
      const cLoop = /^for\s*\(\((.*)\)\)$/.exec(text);
      if (loop || cLoop) {
        const end = matchingDone(statements, i);
        if (this.section === 'run')
          this.unroll(loop, cLoop, statements.slice(i + 1, end), { line: statement.line, source: statement.text });
        i = end;
        continue;
      }
      const caseOf = /^case\s+(.*)\s+in$/.exec(text);
      if (caseOf) {
        const w = expandWords(caseOf[1] as string, this.vars);
        const subject = w.unresolved.length === 0 && w.words.length === 1 ? (w.words[0] as string) : null;
        this.outer.push({ outer: this.section, subject, matched: false });
        this.expectPattern = true;
        continue;
      }
      if (text === ';;' || text === 'esac') {
        this.section = this.outer[this.outer.length - 1]?.outer ?? 'run';
        if (text === 'esac') this.outer.pop();
        this.expectPattern = text === ';;';
        continue;
      }
      if (this.expectPattern) {
        const pattern = /^\(?\s*([^()]*?)\s*\)\s*(.*)$/.exec(text);
        const open = this.outer[this.outer.length - 1];
        if (pattern && open) {
          this.expectPattern = false;
          const match = !open.matched && matchesPattern(pattern[1] as string, open.subject ?? 'start');
          open.matched ||= match;
          this.section = this.section === 'skip' || !match ? 'skip' : 'run';
          text = pattern[2] as string;
          if (!text) continue;
        }
      }
      this.statement({ line: statement.line, source: statement.text }, text);
    }
  }

  // Walks a function's body with the call's words as $1, $2 ... (recursion is not followed).
  call(name: string, args: string[]): void {
    const body = this.functions.get(name);
    if (!body || this.active.includes(name)) return;
    const saved = {
      section: this.section,
      outer: this.outer,
      expectPattern: this.expectPattern,
      positional: this.positional(),
    };
    for (const key of saved.positional.keys()) this.vars.delete(key);
    args.forEach((arg, n) => this.vars.set(String(n + 1), arg));
    this.vars.set('#', String(args.length));
    this.section = 'run';
    this.outer = [];
    this.expectPattern = false;
    this.active.push(name);
    this.called.add(name);
    this.walk(body);
    this.active.pop();
    for (const key of this.positional().keys()) this.vars.delete(key);
    for (const [key, value] of saved.positional) this.vars.set(key, value);
    this.section = saved.section;
    this.outer = saved.outer;
    this.expectPattern = saved.expectPattern;
  }

  private positional(): Map<string, string> {
    return new Map([...this.vars].filter(([key]) => /^([0-9]+|#)$/.test(key)));
  }

  private unroll(loop: RegExpExecArray | null, cLoop: RegExpExecArray | null, body: Statement[], at: Origin): void {
    if (loop) {
      const w = expandWords(loop[2] as string, this.vars);
      // A list that feeds ifconfig or ip in the body is, as far as import can tell, the VIPs.
      const feedsVips = body.some((b) => /(^|[\s/])(ifconfig|ip)\s/.test(b.text));
      if (w.unresolved.length > 0) this.commandNote(at, w.unresolved, 'ADDRESS', feedsVips);
      for (const value of w.words) {
        this.vars.set(loop[1] as string, value);
        this.walk(body);
      }
      return;
    }
    // for ((i = 0; i < N; i++)): the counted form scripts use over an array.
    const m =
      /^\s*([A-Za-z_]\w*)\s*=\s*([^;]+?)\s*;\s*\1\s*(<=?)\s*([^;]+?)\s*;\s*(?:\1\s*\+\+|\+\+\s*\1|\1\s*\+=\s*1)\s*$/.exec(
        cLoop?.[1] ?? '',
      );
    const from = m ? arithmetic(m[2] as string, this.vars) : null;
    const to = m ? arithmetic(m[4] as string, this.vars) : null;
    if (!m || from === null || to === null) {
      note(this.findings, at, 'a loop rs-agent import cannot count: its body is not translated; add its VIPs by hand');
      return;
    }
    for (let n = from; (m[3] === '<' ? n < to : n <= to) && n - from < MAX_UNROLL; n++) {
      this.vars.set(m[1] as string, String(n));
      this.walk(body);
    }
  }

  private statement(at: Origin, text: string): void {
    const template = findPlaceholder(text);
    const assignment =
      /^(?:(?:export|readonly|local|declare|typeset)(?:\s+-\w+)*\s+)?([A-Za-z_]\w*)(\[[^\]]*\])?(\+?)=(.*)$/.exec(text);
    if (template && assignment) {
      this.forget(assignment[1] as string, {
        why: `$${assignment[1]}, the template placeholder ${template.placeholder} (line ${at.line})`,
        remedy: templateRemedy(template.name),
      });
      return;
    }
    if (template) {
      if (this.section === 'skip') return;
      const reason = `the template placeholder ${template.placeholder}: ${templateRemedy(template.name).replace('VALUE', 'ADDRESS')}`;
      note(this.findings, at, reason);
      if (/^\S*(ifconfig|ip)\s/.test(text))
        this.findings.missing.push(`the script is a template: the VIP is ${reason}`);
      return;
    }
    const array = assignment && !assignment[2] ? /^\((.*)\)$/.exec(assignment[4] as string) : null;
    if (assignment && array)
      return this.assignArray(at, assignment[1] as string, array[1] as string, assignment[3] === '+');
    const w = expandWords(text, this.vars);
    // In a pipeline, only the first command can change anything rs-agent manages.
    let words = w.words.includes('|') ? w.words.slice(0, w.words.indexOf('|')) : w.words;
    while (['export', 'readonly', 'local', 'declare', 'typeset', 'sudo'].includes(words[0] ?? ''))
      words = words.slice(1);
    for (const d of w.defaulted) {
      if (this.active.length === 0)
        note(
          this.findings,
          at,
          `$${d.param} not given: took the default ${d.value}; pass --arg ${d.param}=VALUE for another`,
        );
    }
    if (words.length > 0 && words.every((word) => /^[A-Za-z_]\w*(\[[^\]]*\])?=/.test(word))) {
      for (const word of words) this.assign(at, word, w.unresolved);
      return;
    }
    if (this.section === 'skip' || words.length === 0) return;
    const command = (words[0] as string).replace(/^.*\//, '');
    const args = words.slice(1);
    const f = this.findings;
    if (this.functions.has(command)) return this.call(command, args);
    if (
      ['ifconfig', 'ip', 'route', 'sysctl'].includes(command) ||
      (command === 'echo' && w.redirects.some((r) => r.target.startsWith('/proc/sys/')))
    ) {
      // An empty variable would shift the words: `ifconfig lo:0 $VIP broadcast $VIP` reads as no address.
      const empty = [...text.matchAll(/\$([A-Za-z_]\w*)|\$\{([A-Za-z_]\w*)\}/g)]
        .map((m) => (m[1] ?? m[2]) as string)
        .filter((n) => this.vars.get(n) === '');
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
        return this.commandNote(
          at,
          w.unresolved,
          command === 'echo' || command === 'sysctl' ? 'VALUE' : 'ADDRESS',
          addsVip,
        );
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
    if (SILENT.has(command) || command.startsWith('log_') || /(^|\/)(init-)?functions$/.test(words[0] as string))
      return;
    note(f, at, 'not translated');
  }

  // NAME=value or NAME[i]=value. A value only running the script would know leaves the
  // variable unknown, with the reason, so each use can say where it came from.
  private assign(at: Origin, word: string, unresolved: string[]): void {
    const eq = word.indexOf('=');
    const target = word.slice(0, eq);
    const value = word.slice(eq + 1);
    const indexed = /^([A-Za-z_]\w*)\[(.*)\]$/.exec(target);
    const name = indexed ? `${indexed[1]}[${arithmetic(indexed[2] as string, this.vars) ?? '?'}]` : target;
    if (unresolved.length === 0) {
      if (!indexed) for (const key of [...this.vars.keys()]) if (key.startsWith(`${target}[`)) this.vars.delete(key);
      this.vars.set(name, value);
      this.unknown.delete(name);
      return;
    }
    const first = unresolved.find((u) => u.startsWith('$(') || u.startsWith('`')) ?? (unresolved[0] as string);
    if (first.startsWith('$(') || first.startsWith('`'))
      return this.forget(name, { why: `$${name} (set on line ${at.line} by a command)` });
    const from = this.explain(first);
    const set = `line ${at.line}: ${oneLine(at.source)}`;
    const positional = /^\$\{?([0-9]+)\}?$/.exec(first)?.[1];
    if (positional !== undefined && from.remedy)
      this.forget(name, { why: `$${name}, the script's argument $${positional} (${set})`, remedy: from.remedy });
    else if (from.remedy) this.forget(name, { why: `$${name}, set from ${from.why}`, remedy: from.remedy });
    else this.forget(name, { why: `$${name} (${set}, from ${from.why})` });
  }

  private forget(name: string, why: Unknown): void {
    this.vars.delete(name);
    this.unknown.set(name, why);
  }

  private assignArray(at: Origin, name: string, list: string, append: boolean): void {
    const w = expandWords(list, this.vars);
    if (w.unresolved.length > 0)
      return this.forget(name, { why: `$${name} (set on line ${at.line} from ${w.unresolved.join(', ')})` });
    const start = append ? (arrayIndices(this.vars, name)?.reduce((a, b) => Math.max(a, b + 1), 0) ?? 0) : 0;
    if (!append)
      for (const key of [...this.vars.keys()]) if (key === name || key.startsWith(`${name}[`)) this.vars.delete(key);
    w.words.forEach((word, n) => this.vars.set(`${name}[${start + n}]`, word));
    this.unknown.delete(name);
  }

  private commandNote(at: Origin, unresolved: string[], value: 'ADDRESS' | 'VALUE', addsVip: boolean): void {
    const explained = [...new Set(unresolved)].map((u) => this.explain(u));
    const remedies = [...new Set(explained.map((e) => e.remedy))];
    const whys = explained.map((e) => e.why).join(', ');
    const tail = remedies.every((r) => r !== undefined)
      ? remedies.join('; ')
      : 'rs-agent import cannot know its value; add the VIP by hand';
    note(this.findings, at, `uses ${whys}: ${tail}`.replaceAll('VALUE', value));
    if (addsVip) this.findings.missing.push(`the VIP is ${whys}: ${tail}`.replaceAll('VALUE', value));
  }

  private explain(unresolved: string): Unknown {
    const positional = /^\$\{?([0-9]+)\}?$/.exec(unresolved)?.[1];
    if (positional !== undefined) {
      const fn = this.active[this.active.length - 1];
      if (fn !== undefined) return { why: `$${positional} (not passed to ${fn})` };
      return {
        why: `$${positional}, the script's argument $${positional}`,
        remedy: `pass it with --arg ${positional}=VALUE`,
      };
    }
    const name = /^\$\{?([A-Za-z_]\w*(?:\[[^\]]*\])?)\}?$/.exec(unresolved)?.[1];
    const known = name ? (this.unknown.get(name) ?? this.unknown.get(name.replace(/\[.*$/, ''))) : undefined;
    if (known) return known;
    if (name) return { why: `${unresolved} (not set in the script)` };
    return { why: unresolved };
  }
}

function templateRemedy(name: string | null): string {
  return `render the template first${name ? `, or pass the value with --arg ${name}=VALUE` : ''}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

// Whether a case pattern (start|restart, 'start', 192.0.2.*, *) matches the word: the
// script's own value, or "start" when the word is its action argument.
function matchesPattern(pattern: string, word: string): boolean {
  return pattern.split('|').some((alt) => {
    const glob = alt.trim().replace(/^["']|["']$/g, '');
    const regex = glob
      .replace(/[.+^${}()\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    return new RegExp(`^${regex}$`).test(word);
  });
}

function matchingDone(statements: Statement[], from: number): number {
  let depth = 0;
  for (let i = from; i < statements.length; i++) {
    const text = (statements[i] as Statement).text;
    if (/^(for|while|until)\b/.test(text)) depth++;
    if (text === 'done' || /^done\b/.test(text)) depth--;
    if (depth === 0) return i;
  }
  return statements.length;
}
