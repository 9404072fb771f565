import type { Statement } from './shell-split.js';

// Takes the function definitions out of a statement list: `name() {`, `function name {`,
// `name()` then `{` on the next line, and one-liners (`name() { cmd; }`). Bodies run
// only when something calls them, so the walker keeps them apart from the code that
// runs as it is read.

export interface Program {
  statements: Statement[]; // everything outside a function body
  functions: Map<string, Statement[]>;
}

const HEADER = /^(?:function\s+([A-Za-z_][\w-]*)\s*(?:\(\s*\))?|([A-Za-z_][\w-]*)\s*\(\s*\))\s*(?:\{\s*(.*))?$/;

export function collectFunctions(list: Statement[], functions = new Map<string, Statement[]>()): Program {
  const statements: Statement[] = [];
  for (let i = 0; i < list.length; i++) {
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
    const body: Statement[] = first ? [{ line: (list[i] as Statement).line, text: first }] : [];
    let depth = 1;
    for (i++; i < list.length; i++) {
      const statement = list[i] as Statement;
      if (opens(statement.text)) depth++;
      if (/^\}(\s|$|[;&|>])/.test(statement.text) && --depth === 0) break;
      body.push(statement);
    }
    functions.set((header[1] ?? header[2]) as string, collectFunctions(body, functions).statements);
  }
  return { statements, functions };
}

function opens(text: string): boolean {
  return /^\{(\s|$)/.test(text) || HEADER.exec(text)?.[3] !== undefined;
}
