import { parseConfig } from '../config/load.js';
import { AgentError } from '../errors.js';
import { renderImport } from './render.js';
import { summarize } from './summarize.js';
import { findScript } from './translate.js';
import type { ImportResult } from './types.js';

// A real-server script → the equivalent rs-agent config as YAML. Pure: the caller reads the file.
export function importScript(script: string, source: string): { yaml: string; result: ImportResult } {
  const result = summarize(findScript(script));
  if (result.vips.length === 0) {
    throw new AgentError(`import ${source}: found no VIP (no ifconfig or ip address add on lo, tunl0 or ip6tnl0 in what start runs)`);
  }
  const yaml = renderImport(result, source);
  parseConfig(yaml, `the YAML imported from ${source}`); // what it prints must load; a failure here is a bug
  return { yaml, result };
}
