import { parseConfig } from '../config/load.js';
import { AgentError } from '../errors.js';
import { MAX_SCRIPT_BYTES, ScriptBoundError, scriptTooLarge } from './bounds.js';
import { renderImport } from './render.js';
import { summarize } from './summarize.js';
import { fillPlaceholders } from './template.js';
import { findScript } from './translate.js';
import type { ImportResult } from './types.js';

// No VIP in the script: the error says why when import knows (an argument not given, a
// template), and keeps the notes it had built, one per line after the first.
export class ImportError extends AgentError {
  constructor(
    readonly headline: string,
    readonly notes: ImportResult['notes'],
  ) {
    super([headline, ...notes.map((n) => `  line ${n.line}: ${oneLine(n.source)}: ${n.reason}`)].join('\n'));
    this.name = 'ImportError';
  }
}

// Values for the script as `--arg KEY=VALUE` gives them: a number is a positional
// parameter ($1), a name fills a template placeholder ({{ name }}, <%= @name %>).
export type ImportArgs = ReadonlyMap<string, string>;

// A real-server script → the equivalent rs-agent config as YAML. Pure: the caller reads the
// file. A script past one of import's bounds (bounds.ts) is an error naming its line.
export function importScript(
  script: string,
  source: string,
  args: ImportArgs = new Map(),
): { yaml: string; result: ImportResult } {
  const bytes = Buffer.byteLength(script);
  if (bytes > MAX_SCRIPT_BYTES) throw scriptTooLarge(source, bytes);
  const positional = new Map([...args].filter(([key]) => /^[0-9]+$/.test(key)));
  const named = new Map([...args].filter(([key]) => !/^[0-9]+$/.test(key)));
  let findings;
  try {
    findings = findScript(fillPlaceholders(script, named), { positional });
  } catch (error) {
    if (error instanceof ScriptBoundError) throw new AgentError(`import ${source}: ${error.message}`);
    throw error;
  }
  const result = summarize(findings);
  if (result.vips.length === 0) {
    const why =
      [...new Set(findings.missing)].join('; ') ||
      '(no ifconfig or ip address add on lo, tunl0 or ip6tnl0 in what start runs)';
    throw new ImportError(`import ${source}: found no VIP${why.startsWith('(') ? ' ' : ': '}${why}`, result.notes);
  }
  const yaml = renderImport(result, source);
  parseConfig(yaml, `the YAML imported from ${source}`); // what it prints must load; a failure here is a bug
  return { yaml, result };
}

// `--arg 1=192.0.2.10` (repeatable) → the map importScript takes; a malformed one is an error.
export function parseImportArgs(values: readonly string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (const value of values) {
    const m = /^([1-9][0-9]*|[A-Za-z_][\w.]*)=(.*)$/.exec(value);
    if (!m)
      throw new AgentError(
        `import: --arg ${JSON.stringify(value)}: expected N=VALUE (the script's argument $N, e.g. 1=192.0.2.10) or NAME=VALUE (a template placeholder)`,
      );
    if (args.has(m[1] as string)) throw new AgentError(`import: --arg ${m[1]} given twice`);
    args.set(m[1] as string, m[2] as string);
  }
  return args;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
