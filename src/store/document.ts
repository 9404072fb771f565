import { load as parseYaml, CORE_SCHEMA } from 'js-yaml';
import { validateLabelMap } from '../config/store.js';
import type { VipConfig } from '../config/types.js';
import { expectMapping, type Fail } from '../config/schema.js';
import { validateConfig } from '../config/validate.js';
import { ConfigError } from '../errors.js';
import type { ParsedKey } from './layout.js';

// A group or host document is a few VIPs; the same ceiling as a config file's depth.
const MAX_DOCUMENT_BYTES = 256 * 1024;
const MAX_DEPTH = 20;

export interface StoreDocument {
  selector: Record<string, string> | null; // groups only
  vips: VipConfig[];
}

// A value under groups/ or hosts/, YAML or JSON (JSON is YAML). The VIPs and mode go
// through the file's own validator, so a store value is refused for exactly what a
// file would be; every error names the etcd key and the key path.
export function parseDocument(key: string, parsed: ParsedKey, text: string): StoreDocument {
  const source = `etcd key ${key}`;
  const fail: Fail = (path, detail) => {
    throw new ConfigError(source, path, detail);
  };
  if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES) fail('', `is larger than ${MAX_DOCUMENT_BYTES / 1024} KiB`);
  if (/^\s*$/.test(text.replace(/^\s*#.*$/gm, '')))
    fail('', 'is empty; it needs "vips:" (delete the key to remove its VIPs)');
  let raw: unknown;
  try {
    raw = parseYaml(text, { schema: CORE_SCHEMA, filename: key, maxDepth: MAX_DEPTH });
  } catch (error) {
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    fail('', `not valid YAML or JSON: ${reason.replace(/\s*\n\s*/g, ' ')}`);
  }
  if (raw === null || raw === undefined) fail('', 'is empty; it needs "vips:" (delete the key to remove its VIPs)');
  const keys = parsed.kind === 'group' ? ['selector', 'mode', 'vips'] : ['mode', 'vips'];
  const top = expectMapping(raw, '', fail, keys);
  const selector =
    parsed.kind === 'group'
      ? top.selector === undefined || top.selector === null
        ? {}
        : validateLabelMap(top.selector, 'selector', fail)
      : null;
  if (top.vips === undefined || top.vips === null) fail('vips', 'is required (delete the key to remove its VIPs)');
  const config = validateConfig({ mode: top.mode, vips: top.vips }, source);
  return { selector, vips: config.vips };
}
