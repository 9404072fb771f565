import type { Budget } from './bounds.js';
import type { Statement } from './shell-split.js';

// Takes the function definitions out of a statement list: `name() {`, `function name {`,
// `name()` then `{` on the next line, and one-liners (`name() { cmd; }`). Bodies run
// only when something calls them, so the walker keeps them apart from the code that
// runs as it is read. A body is read again for the functions defined inside it: every
// reading after the first is paid for from the budget, and definitions nest only so deep.

export interface Program {
  statements: Statement[]; // everything outside a function body
  functions: Map<string, Statement[]>;
}

const HEADER = /^(?:function\s+([A-Za-z_][\w-]*)\s*(?:\(\s*\))?|([A-Za-z_][\w-]*)\s*\(\s*\))\s*(?:\{\s*(.*))?$/;

export function collectFunctions(
  list: Statement[],
  budget: Budget,
  functions = new Map<string, Statement[]>(),
  again = false, // reading a function's body, which the caller read once already
): Program {
  const statements: Statement[] = [];
  const read = (statement: Statement) => {
    budget.line = statement.line;
    if (again) budget.spend(1 + statement.text.length);
  };
  for (let i = 0; i < list.length; i++) {
    read(list[i] as Statement);
    const header = HEADER.exec((list[i] as Statement).text);
    let opened = header?.[3] !== undefined;
    let first = header?.[3] ?? '';
    if (header && !opened && /^\{(\s|$)/.test(list[i + 1]?.text ?? '')) {
      first = (list[++i] as Statement).text.slice(1).trim();
      opened = true;
    }
    if (!header || !opened) {
      statements.push(list[i] as Statement);
      continue;
    }
    const line = (list[i] as Statement).line;
    const body: Statement[] = first ? [{ line, text: first }] : [];
    let depth = 1;
    for (i++; i < list.length; i++) {
      const statement = list[i] as Statement;
      read(statement);
      if (opens(statement.text)) depth++;
      if (/^\}(\s|$|[;&|>])/.test(statement.text) && --depth === 0) break;
      body.push(statement);
    }
    budget.line = line;
    const inner = budget.nested(() => collectFunctions(body, budget, functions, true).statements);
    functions.set((header[1] ?? header[2]) as string, inner);
  }
  return { statements, functions };
}

function opens(text: string): boolean {
  return /^\{(\s|$)/.test(text) || HEADER.exec(text)?.[3] !== undefined;
}
