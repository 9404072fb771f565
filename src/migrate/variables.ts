import type { Budget } from './bounds.js';
import { arithmetic, arrayIndices, expandWords } from './shell-words.js';
import type { Findings, Origin } from './types.js';
import { note } from './commands.js';

// A variable whose value only running (or rendering) the script would give.
export interface Unknown {
  why: string; // "$VIP, the script's argument $1 (line 3: VIP=$1)"
  remedy?: string; // with VALUE where the value goes
}

// The script's variables as the walk has met them: the values it knows (NAME, NAME[i]
// for array elements, 1, 2 ... and # for positional parameters) and, for each one only
// running the script would give, the reason, so each use can say where it came from.
export class Variables {
  readonly values = new Map<string, string>();
  readonly calls: string[] = []; // the functions being walked, innermost last: whose $1 is in effect
  private readonly unknown = new Map<string, Unknown>();

  // Looking through every variable (to drop an array's elements, or to find the
  // positional parameters) is paid for from the budget.
  constructor(private readonly budget: Budget) {}

  // NAME=value or NAME[i]=value. A value only running the script would know leaves the
  // variable unknown, with the reason.
  assign(at: Origin, word: string, unresolved: string[]): void {
    const eq = word.indexOf('=');
    const target = word.slice(0, eq);
    const value = word.slice(eq + 1);
    const indexed = /^([A-Za-z_]\w*)\[(.*)\]$/.exec(target);
    const name = indexed
      ? `${indexed[1]}[${arithmetic(indexed[2] as string, this.values, this.budget) ?? '?'}]`
      : target;
    if (unresolved.length === 0) {
      if (!indexed) {
        this.budget.spend(this.values.size);
        for (const key of [...this.values.keys()]) if (key.startsWith(`${target}[`)) this.values.delete(key);
      }
      this.values.set(name, value);
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

  forget(name: string, why: Unknown): void {
    this.values.delete(name);
    this.unknown.set(name, why);
  }

  // NAME=(a b c), or NAME+=(d) appending after the highest index.
  assignArray(at: Origin, name: string, list: string, append: boolean): void {
    const w = expandWords(list, this.values, this.budget);
    if (w.unresolved.length > 0)
      return this.forget(name, { why: `$${name} (set on line ${at.line} from ${w.unresolved.join(', ')})` });
    const start = append
      ? (arrayIndices(this.values, name, this.budget)?.reduce((a, b) => Math.max(a, b + 1), 0) ?? 0)
      : 0;
    if (!append) {
      this.budget.spend(this.values.size);
      for (const key of [...this.values.keys()])
        if (key === name || key.startsWith(`${name}[`)) this.values.delete(key);
    }
    w.words.forEach((word, n) => this.values.set(`${name}[${start + n}]`, word));
    this.unknown.delete(name);
  }

  // Why an expansion ($1, $VIP, $(cmd)) has no value, and how to give it one. Inside a
  // function, $1 is its caller's argument, not the script's.
  explain(unresolved: string): Unknown {
    const positional = /^\$\{?([0-9]+)\}?$/.exec(unresolved)?.[1];
    if (positional !== undefined) {
      const fn = this.calls[this.calls.length - 1];
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

  // A note for a command that uses values import cannot know, and, when the command adds
  // the VIP, the reason the error gives if no VIP is found at all.
  noteUnknown(
    findings: Findings,
    at: Origin,
    unresolved: string[],
    value: 'ADDRESS' | 'VALUE',
    addsVip: boolean,
  ): void {
    const explained = [...new Set(unresolved)].map((u) => this.explain(u));
    const remedies = [...new Set(explained.map((e) => e.remedy))];
    const whys = explained.map((e) => e.why).join(', ');
    const tail = remedies.every((r) => r !== undefined)
      ? remedies.join('; ')
      : 'rs-agent import cannot know its value; add the VIP by hand';
    note(findings, at, `uses ${whys}: ${tail}`.replaceAll('VALUE', value));
    if (addsVip) findings.missing.push(`the VIP is ${whys}: ${tail}`.replaceAll('VALUE', value));
  }

  // A call of the script's function: its words replace the positional parameters ($1 ...
  // and $#); returns the caller's, for leaveCall.
  enterCall(name: string, args: string[]): Map<string, string> {
    this.calls.push(name);
    const saved = this.positional();
    for (const key of saved.keys()) this.values.delete(key);
    args.forEach((arg, n) => this.values.set(String(n + 1), arg));
    this.values.set('#', String(args.length));
    return saved;
  }

  // Puts the caller's positional parameters back after a call.
  leaveCall(saved: Map<string, string>): void {
    this.calls.pop();
    for (const key of this.positional().keys()) this.values.delete(key);
    for (const [key, value] of saved) this.values.set(key, value);
  }

  private positional(): Map<string, string> {
    this.budget.spend(this.values.size);
    return new Map([...this.values].filter(([key]) => /^([0-9]+|#)$/.test(key)));
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
