import { echo, ifconfig, ip, note, route, sysctl } from './commands.js';
import { splitStatements, type Statement } from './shell-split.js';
import { expandWords } from './shell-words.js';
import type { Findings, Origin } from './types.js';

// Walks a real-server script the way it runs on `start`: the start branch of a
// `case "$1"`, functions named like start, and everything outside case branches.
// Stop, status and usage branches are skipped (rs-agent stop, status and check replace
// them). Variables are tracked in order; `for NAME in LIST` loops are unrolled.

type Section = 'run' | 'skip';

// Commands that change nothing rs-agent manages: passed over without a note.
const SILENT = new Set([
  '[', '[[', 'test', 'true', 'false', ':', 'exit', 'return', 'sleep', 'logger', 'set', 'shift', 'unset', 'wait',
  '.', 'source', 'action', 'success', 'failure', 'echo_success', 'echo_failure', 'touch', 'rm', 'printf', 'usage',
  'daemon', 'killproc', 'status', 'export', 'readonly', 'local', 'declare', 'umask', 'cd',
]);

export function findScript(script: string): Findings {
  const walker = new Walker();
  walker.walk(splitStatements(script));
  return walker.findings;
}

class Walker {
  readonly findings: Findings = { vips: [], arpIgnore: [], arpAnnounce: [], rpFilter: [], routes: [], modules: [], notes: [] };
  private readonly vars = new Map<string, string>();
  private readonly functions = new Set<string>();
  private readonly substituted = new Map<string, number>(); // variables set by $(...): line
  private section: Section = 'run';
  private readonly outer: Section[] = []; // sections to return to at esac and }
  private expectPattern = false;

  walk(statements: Statement[]): void {
    for (let i = 0; i < statements.length; i++) {
      const statement = statements[i] as Statement;
      let text = statement.text;
      while (/^(then|do|else|\{)\s+/.test(text)) text = text.replace(/^\S+\s+/, '');
      if (['then', 'do', 'else', 'fi', 'done', '{'].includes(text) || /^(if|elif|while|until)\s/.test(text)) continue;
      const loop = /^for\s+([A-Za-z_]\w*)\s+in\s+(.*)$/.exec(text);
      if (loop) {
        const end = matchingDone(statements, i);
        const values = expandWords(loop[2] as string, this.vars).words;
        for (const value of values) {
          this.vars.set(loop[1] as string, value);
          this.walk(statements.slice(i + 1, end));
        }
        i = end;
        continue;
      }
      if (/^case\s.*\sin$/.test(text)) {
        this.outer.push(this.section);
        this.expectPattern = true;
        continue;
      }
      if (text === ';;' || text === 'esac') {
        this.section = this.outer[this.outer.length - 1] ?? 'run';
        if (text === 'esac') this.outer.pop();
        this.expectPattern = text === ';;';
        continue;
      }
      if (this.expectPattern) {
        const pattern = /^\(?\s*([^()]*?)\s*\)\s*(.*)$/.exec(text);
        if (pattern) {
          this.expectPattern = false;
          this.section = this.section === 'skip' || !isStartPattern(pattern[1] as string) ? 'skip' : 'run';
          text = pattern[2] as string;
          if (!text) continue;
        }
      }
      const fn = /^(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\s*\)\s*\{?$/.exec(text) ?? /^function\s+([A-Za-z_][\w-]*)\s*\{?$/.exec(text);
      if (fn) {
        const name = fn[1] as string;
        this.functions.add(name);
        this.outer.push(this.section);
        this.section = this.section === 'skip' || /stop|status|restart|reload|usage/i.test(name) ? 'skip' : 'run';
        continue;
      }
      if (text === '}') {
        this.section = this.outer.pop() ?? 'run';
        continue;
      }
      this.statement({ line: statement.line, source: statement.text }, text);
    }
  }

  private statement(at: Origin, text: string): void {
    const w = expandWords(text, this.vars);
    // In a pipeline, only the first command can change anything rs-agent manages.
    let words = w.words.includes('|') ? w.words.slice(0, w.words.indexOf('|')) : w.words;
    while (['export', 'readonly', 'local', 'declare', 'sudo'].includes(words[0] ?? '')) words = words.slice(1);
    if (words.length > 0 && words.every((word) => /^[A-Za-z_]\w*=/.test(word))) {
      for (const word of words) {
        const [name = '', ...value] = word.split('=');
        // A value only running the script would know stays unset, so each use is noted.
        if (w.unresolved.some((u) => u.startsWith('$(') || u.startsWith('`'))) {
          this.vars.delete(name);
          this.substituted.set(name, at.line);
        } else {
          this.vars.set(name, value.join('='));
          this.substituted.delete(name);
        }
      }
      return;
    }
    if (this.section === 'skip' || words.length === 0) return;
    const command = (words[0] as string).replace(/^.*\//, '');
    const args = words.slice(1);
    const f = this.findings;
    if (['ifconfig', 'ip', 'route', 'sysctl'].includes(command) || (command === 'echo' && w.redirects.some((r) => r.target.startsWith('/proc/sys/')))) {
      if (w.unresolved.length > 0) {
        note(f, at, `uses ${w.unresolved.map((u) => this.explain(u)).join(', ')}: rs-agent import cannot know its value; add the VIP by hand`);
        return;
      }
    }
    switch (command) {
      case 'ifconfig': return ifconfig(f, args, at);
      case 'ip': return ip(f, args, at);
      case 'route': return route(f, args, at);
      case 'sysctl': return sysctl(f, args, at);
      case 'echo': return echo(f, w, at);
      case 'modprobe':
      case 'insmod': {
        const name = args.filter((a) => !a.startsWith('-'))[0]?.replace(/^.*\//, '').replace(/\.ko$/, '') ?? '';
        if (name === 'ipip' || name === 'ip6_tunnel') f.modules.push({ name, ...at });
        else if (!args.includes('-r')) note(f, at, `loads ${name}: rs-agent loads only ipip and ip6_tunnel, when TUN VIPs need them`);
        return;
      }
      case 'ipvsadm':
        return note(f, at, 'ipvsadm configures a director, not a real server');
      case 'arping':
      case 'arp':
        return note(f, at, 'not translated: rs-agent keeps the real server silent about VIPs rather than announcing them');
    }
    if (SILENT.has(command) || command.startsWith('log_') || this.functions.has(command) || /(^|\/)(init-)?functions$/.test(words[0] as string)) return;
    note(f, at, 'not translated');
  }

  private explain(unresolved: string): string {
    const name = /^\$([A-Za-z_]\w*)$/.exec(unresolved)?.[1];
    const line = name ? this.substituted.get(name) : undefined;
    if (line !== undefined) return `${unresolved} (set on line ${line} by a command)`;
    if (name && !this.vars.has(name)) return `${unresolved} (not set in the script)`;
    return unresolved;
  }
}

// A case pattern that `start` matches ("start", start|restart, 'start').
function isStartPattern(pattern: string): boolean {
  return pattern.split('|').some((alt) => alt.trim().replace(/^["']|["']$/g, '') === 'start');
}

function matchingDone(statements: Statement[], from: number): number {
  let depth = 0;
  for (let i = from; i < statements.length; i++) {
    const text = (statements[i] as Statement).text;
    if (/^(for|while|until)\s/.test(text)) depth++;
    if (text === 'done' || /^done\b/.test(text)) depth--;
    if (depth === 0) return i;
  }
  return statements.length;
}
