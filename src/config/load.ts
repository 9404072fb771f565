import { readFileSync } from 'node:fs';
import { load as parseYaml, CORE_SCHEMA } from 'js-yaml';
import { ConfigError } from '../errors.js';
import { describe } from '../system/sysctl-fs.js';
import type { Config } from './types.js';
import { validateConfig } from './validate.js';

// Reads and validates the config file; every failure is a ConfigError (exit 2).
export function loadConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw new ConfigError(path, '', 'no such file (set --config or RS_AGENT_CONFIG)');
    if (code === 'EISDIR') throw new ConfigError(path, '', 'is a directory, not a file');
    throw new ConfigError(path, '', `cannot read: ${describe(error)}`);
  }
  return parseConfig(text, path);
}

export function parseConfig(text: string, source: string): Config {
  // Blank or comments only: say so, rather than pass on the parser's wording.
  if (/^\s*$/.test(text.replace(/^\s*#.*$/gm, ''))) throw new ConfigError(source, '', 'the file is empty; it needs at least "vips:"');
  let raw: unknown;
  try {
    raw = parseYaml(text, { schema: CORE_SCHEMA, filename: source });
  } catch (error) {
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    const mark = (error as { mark?: { line: number; column: number } }).mark;
    const where = mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '';
    throw new ConfigError(source, '', `not valid YAML${where}: ${reason}`);
  }
  return validateConfig(raw, source);
}
