import { afterEach, describe, expect, it, vi } from 'vitest';
import { printError } from '../../src/cli/common.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function stderrOf(message: string): string {
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  printError(message);
  return write.mock.calls.map(([chunk]) => String(chunk)).join('');
}

describe('printError', () => {
  it('escapes control characters, and no text in the message starts a line of its own', () => {
    expect(stderrOf('store key /rs-agent/groups/a\n<3>forged \x1b[2J: refused')).toBe(
      'rs-agent: store key /rs-agent/groups/a\n  <3>forged \\x1b[2J: refused\n',
    );
  });

  it("keeps a message's own indented lines (import's notes) as they are", () => {
    const message =
      'import x.sh: found no VIP\n  line 6: ifconfig lo:0 $VIP up: no value\n  line 7: route add: no value';
    expect(stderrOf(message)).toBe(`rs-agent: ${message}\n`);
  });
});
