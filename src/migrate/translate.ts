import { Budget } from './bounds.js';
import { caseBranch, caseWord, matchesPattern } from './case-pattern.js';
import { note } from './commands.js';
import { collectFunctions } from './shell-functions.js';
import { splitStatements, type Statement } from './shell-split.js';
import { arithmetic, expandWords } from './shell-words.js';
import { translateStatement, type Walk } from './statement.js';
import type { Findings, Origin } from './types.js';
import { Variables } from './variables.js';

// Walks a real-server script the way it runs on `start`: the code outside functions,
// the start branch of a `case "$1"`, and the functions these call, transitively (with
// the arguments of each call as $1, $2 ...). Stop, status and usage branches, and the
// functions only they call, are skipped (rs-agent stop, status and check replace them).
// When nothing calls a function (a script sourced by another), the functions named
// like start run. Variables and arrays are tracked in order; `for NAME in LIST` and
// `for ((i = 0; i < N; i++))` loops are unrolled. All of it is paid for from one budget
// (bounds.ts): a script that would take longer stops with the line it got to.

type Section = 'run' | 'skip';

// An open `case WORD in`: the section to return to at esac, the word when the script
// knows it (else the branch `start` takes runs), and whether a branch matched already.
interface Case {
  outer: Section;
  subject: string | null;
  matched: boolean;
}

const MAX_UNROLL = 256;

export interface ScriptArgs {
  positional?: ReadonlyMap<string, string>; // "1" → value, from --arg 1=VALUE
}

export function findScript(script: string, args: ScriptArgs = {}): Findings {
  const budget = new Budget();
  const program = collectFunctions(splitStatements(script), budget);
  const walker = new Walker(program.functions, args.positional ?? new Map(), budget);
  walker.walk(program.statements);
  if (walker.called.size === 0) {
    for (const name of program.functions.keys()) {
      if (/start/i.test(name) && !/stop|restart/i.test(name)) walker.call(name, []);
    }
  }
  return walker.findings;
}

class Walker implements Walk {
  readonly findings: Findings = {
    vips: [],
    arpIgnore: [],
    arpAnnounce: [],
    rpFilter: [],
    routes: [],
    modules: [],
    notes: [],
    missing: [],
    seen: { notes: new Set(), vips: new Map() },
  };
  readonly called = new Set<string>();
  readonly variables: Variables;
  private section: Section = 'run';
  private outer: Case[] = []; // the open case statements, innermost last
  private expectPattern = false;

  constructor(
    private readonly functions: ReadonlyMap<string, Statement[]>,
    positional: ReadonlyMap<string, string>,
    readonly budget: Budget,
  ) {
    this.variables = new Variables(budget);
    const vars = this.variables.values;
    for (const [n, value] of positional) vars.set(n, value);
    if (positional.size > 0) vars.set('#', String(Math.max(...[...positional.keys()].map(Number))));
  }

  get skipping(): boolean {
    return this.section === 'skip';
  }

  isFunction(name: string): boolean {
    return this.functions.has(name);
  }

  walk(statements: Statement[]): void {
    for (let i = 0; i < statements.length; i++) {
      const statement = statements[i] as Statement;
      this.budget.walk(statement);
      let text = statement.text.replace(/^(?:(?:then|do|else|\{)\s+)+/, '');
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
        const end = matchingDone(statements, i, this.budget);
        if (this.section === 'run')
          this.unroll(loop, cLoop, statements.slice(i + 1, end), { line: statement.line, source: statement.text });
        i = end;
        continue;
      }
      const caseOf = caseWord(text);
      if (caseOf !== null) {
        const w = expandWords(caseOf, this.variables.values, this.budget);
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
        const branch = caseBranch(text);
        const open = this.outer[this.outer.length - 1];
        if (branch && open) {
          this.expectPattern = false;
          const match = !open.matched && matchesPattern(branch.pattern, open.subject ?? 'start', this.budget);
          open.matched ||= match;
          this.section = this.section === 'skip' || !match ? 'skip' : 'run';
          text = branch.rest;
          if (!text) continue;
        }
      }
      translateStatement(this, { line: statement.line, source: statement.text }, text);
    }
  }

  // Walks a function's body with the call's words as $1, $2 ... (recursion is not followed,
  // and the depth of calls within calls is bounded).
  call(name: string, args: string[]): void {
    const body = this.functions.get(name);
    if (!body || this.variables.calls.includes(name)) return;
    const saved = { section: this.section, outer: this.outer, expectPattern: this.expectPattern };
    const positional = this.variables.enterCall(name, args);
    this.section = 'run';
    this.outer = [];
    this.expectPattern = false;
    this.called.add(name);
    this.budget.nested(() => this.walk(body));
    this.variables.leaveCall(positional);
    this.section = saved.section;
    this.outer = saved.outer;
    this.expectPattern = saved.expectPattern;
  }

  private unroll(loop: RegExpExecArray | null, cLoop: RegExpExecArray | null, body: Statement[], at: Origin): void {
    const vars = this.variables.values;
    if (loop) {
      const w = expandWords(loop[2] as string, vars, this.budget);
      // A list that feeds ifconfig or ip in the body is, as far as import can tell, the VIPs.
      const feedsVips = body.some((b) => /(^|[\s/])(ifconfig|ip)\s/.test(b.text));
      if (w.unresolved.length > 0) this.variables.noteUnknown(this.findings, at, w.unresolved, 'ADDRESS', feedsVips);
      for (const value of w.words) {
        vars.set(loop[1] as string, value);
        this.pass(body, at);
      }
      return;
    }
    // for ((i = 0; i < N; i++)): the counted form scripts use over an array.
    const m = countedLoop(cLoop?.[1] ?? '');
    const from = m ? arithmetic(m.from, vars, this.budget) : null;
    const to = m ? arithmetic(m.to, vars, this.budget) : null;
    if (!m || from === null || to === null) {
      note(this.findings, at, 'a loop rs-agent import cannot count: its body is not translated; add its VIPs by hand');
      return;
    }
    for (let n = from; (m.op === '<' ? n < to : n <= to) && n - from < MAX_UNROLL; n++) {
      vars.set(m.name, String(n));
      this.pass(body, at);
    }
  }

  // One pass through a loop's body, one level deeper.
  private pass(body: Statement[], at: Origin): void {
    this.budget.line = at.line;
    this.budget.spend(1);
    this.budget.nested(() => this.walk(body));
  }
}

// `NAME = FROM; NAME < TO; NAME++` (or <=, ++NAME, NAME += 1), the inside of a counted
// for. Split at the semicolons and trimmed rather than matched by one expression, whose
// lazy FROM and TO, followed by \s*, tried every blank of a long run (a second a pass).
function countedLoop(text: string): { name: string; from: string; op: string; to: string } | null {
  const [init, test, step, extra] = text.split(';').map((part) => part.trim());
  if (init === undefined || test === undefined || step === undefined || extra !== undefined) return null;
  const start = /^([A-Za-z_]\w*)\s*=/.exec(init);
  const name = start?.[1];
  if (!start || name === undefined || !test.startsWith(name)) return null;
  const from = init.slice(start[0].length).trim();
  const bound = /^\s*(<=?)([^]*)$/.exec(test.slice(name.length));
  const to = bound?.[2]?.trim() ?? '';
  const increments = new RegExp(`^(?:${name}\\s*\\+\\+|\\+\\+\\s*${name}|${name}\\s*\\+=\\s*1)$`);
  if (!bound || from === '' || to === '' || !increments.test(step)) return null;
  return { name, from, op: bound[1] as string, to };
}

// The index of the `done` that closes the loop opening at `from`.
function matchingDone(statements: Statement[], from: number, budget: Budget): number {
  let depth = 0;
  for (let i = from; i < statements.length; i++) {
    budget.spend(1);
    const text = (statements[i] as Statement).text;
    if (/^(for|while|until)\b/.test(text)) depth++;
    if (text === 'done' || /^done\b/.test(text)) depth--;
    if (depth === 0) return i;
  }
  return statements.length;
}
