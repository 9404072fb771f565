import { load as parseYaml, CORE_SCHEMA } from 'js-yaml';
import { ConfigError } from '../errors.js';
import { MAX_CONFIG_BYTES, readConfigFile, tooLarge, type ReadConfigOptions } from './read-file.js';
import { loadStoreCredentials } from './store-files.js';
import type { Config } from './types.js';
import { validateConfig } from './validate.js';
import { checkWrittenPaths } from './written-paths.js';

// A config is three levels deep; YAML nested far deeper is not one.
const MAX_DEPTH = 20;
// js-yaml 5 builds an alias as a reference to the anchored value, so an alias bomb
// ("billion laughs") costs little to parse; but any code walking the result would
// expand it. More values than a 1 MiB file can spell out means aliases multiplied them.
const MAX_VALUES = 1_000_000;

// Reads and validates the config file, checks where it has rs-agent write files, and
// reads the store's TLS and credentials files it names; every failure is a ConfigError
// (exit 2).
export function loadConfig(path: string, options: ReadConfigOptions = {}): Config {
  const config = parseConfig(readConfigFile(path, options), path);
  checkWrittenPaths(config);
  if (config.store) config.store.credentials = loadStoreCredentials(config.store, config.file, options);
  return config;
}

export function parseConfig(text: string, source: string): Config {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_BYTES) throw tooLarge(source, bytes);
  // Blank or comments only: say so, rather than pass on the parser's wording.
  if (/^\s*$/.test(text.replace(/^\s*#.*$/gm, '')))
    throw new ConfigError(source, '', 'the file is empty; it needs at least "vips:"');
  let raw: unknown;
  try {
    raw = parseYaml(text, { schema: CORE_SCHEMA, filename: source, maxDepth: MAX_DEPTH });
  } catch (error) {
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    const mark = (error as { mark?: { line: number; column: number } }).mark;
    const where = mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '';
    throw new ConfigError(source, '', `not valid YAML${where}: ${oneLine(reason)}`);
  }
  if (countValues(raw, MAX_VALUES) > MAX_VALUES) {
    throw new ConfigError(
      source,
      '',
      `its aliases expand to more than ${MAX_VALUES} values (an alias bomb?); write the VIPs out`,
    );
  }
  return validateConfig(raw, source);
}

// Counts the values in the parsed document as if every alias were expanded, stopping
// once past the limit (so the count costs at most `limit` steps, even for a cycle).
function countValues(value: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count <= limit) {
    const next = stack.pop();
    count++;
    if (typeof next !== 'object' || next === null) continue;
    // One push at a time: spreading a list of 500 000 items would overflow the call stack.
    for (const item of Array.isArray(next) ? next : Object.values(next)) stack.push(item);
  }
  return count;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
