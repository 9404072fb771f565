import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// An internal error's stack in source terms (src/agent.ts:57), not bundle positions.
// The bundle ships with its source map, read only here: enabling node's own source-map
// support would cost every run about 13 ms to load a map it almost never needs. The CLI's
// bundle runs under its bare file name (build/loader.cjs: V8's code cache keeps the name
// the script had when the cache was made, wherever it is installed since): a bare name is
// the file beside this one.
export function readableStack(error: unknown): string {
  const stack = (error as Error)?.stack ?? String(error);
  const maps = new Map<string, SourceMap | null>();
  const mapFor = (file: string): SourceMap | null => {
    if (!maps.has(file)) {
      try {
        maps.set(file, new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))));
      } catch {
        maps.set(file, null); // no map beside it (run from source, or not shipped)
      }
    }
    return maps.get(file) ?? null;
  };
  return stack.replace(
    /((?:file:\/\/)?\/[^\s():]+\.js|(?<=[\s(])[\w.-]+\.js):(\d+):(\d+)/g,
    (whole, location: string, line: string, column: string) => {
      const file = location.startsWith('file://')
        ? fileURLToPath(location)
        : location.startsWith('/')
          ? location
          : join(dirname(fileURLToPath(import.meta.url)), location);
      const entry = mapFor(file)?.findEntry(Number(line) - 1, Number(column) - 1);
      if (!entry || !('originalSource' in entry)) return whole;
      // Sources are named relative to the map; the project-relative part reads best.
      const source = /(?:^|\/)((?:src|test)\/.*)$/.exec(entry.originalSource)?.[1] ?? entry.originalSource;
      return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    },
  );
}
