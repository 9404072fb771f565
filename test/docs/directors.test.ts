import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// docs/directors.md shows the keepalived config that the VM test runs
// (examples/directors/keepalived.conf, rendered by test/e2e/guest/lib/drain.sh): the snippet's
// lines, comments aside, are the example's first virtual server and real server, in order.

const ROOT = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

// Lines without comments and surrounding blanks, empty ones dropped.
const bare = (text: string) =>
  text
    .split('\n')
    .map((line) => line.replace(/\s*#.*$/, '').trimEnd())
    .filter((line) => line.trim() !== '');

describe('docs/directors.md', () => {
  it("the keepalived snippet is the example the VM test runs, up to the first real server's end", () => {
    const section =
      read('docs/directors.md')
        .split(/^## /m)
        .find((s) => s.startsWith('keepalived\n')) ?? '';
    const snippet = bare(/```\n([\s\S]*?)```/.exec(section)?.[1] ?? '');
    const example = bare(read('examples/directors/keepalived.conf'));
    expect(snippet.length).toBeGreaterThan(10);
    // The snippet ends with the virtual server's closing brace, after one real server.
    expect(snippet.slice(0, -1)).toEqual(example.slice(0, snippet.length - 1));
    expect(snippet.at(-1)).toBe('}');
  });
});
