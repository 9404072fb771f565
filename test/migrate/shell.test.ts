import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../src/migrate/shell-split.js';
import { expandWords } from '../../src/migrate/shell-words.js';

describe('splitStatements', () => {
  it('drops comments, joins continuations, splits on ; ;; && || & and keeps line numbers', () => {
    const script = '# header\nA=1 # set\nip addr add \\\n  $A dev lo; echo x && echo y\n  start)   start ;;\nx=$(a; b) || true &\necho "#not a comment"';
    expect(splitStatements(script)).toEqual([
      { line: 2, text: 'A=1' },
      { line: 3, text: 'ip addr add    $A dev lo' },
      { line: 3, text: 'echo x' },
      { line: 3, text: 'echo y' },
      { line: 5, text: 'start)   start' },
      { line: 5, text: ';;' },
      { line: 6, text: 'x=$(a; b)' },
      { line: 6, text: 'true' },
      { line: 7, text: 'echo "#not a comment"' },
    ]);
  });

  it('keeps start|restart) and redirections like 2>&1 and &>/dev/null whole', () => {
    expect(splitStatements('start|restart) go ;;\nsysctl -p >/dev/null 2>&1\nx &>/dev/null').map((s) => s.text)).toEqual([
      'start|restart) go', ';;', 'sysctl -p >/dev/null 2>&1', 'x &>/dev/null',
    ]);
  });
});

describe('expandWords', () => {
  const vars = new Map([['VIP', '192.0.2.10'], ['LIST', 'a b  c'], ['EMPTY', '']]);

  it('expands $VAR, ${VAR}, "$VAR" and ${VAR:-default}; unquoted values split into words', () => {
    expect(expandWords('ip addr add ${VIP}/32 dev "lo" $LIST "$LIST" ${EMPTY:-d} ${NOPE-x}', vars).words).toEqual([
      'ip', 'addr', 'add', '192.0.2.10/32', 'dev', 'lo', 'a', 'b', 'c', 'a b  c', 'd', 'x',
    ]);
  });

  it('separates redirections from words, including a quoted value right before >', () => {
    expect(expandWords('echo "1">/proc/sys/net/ipv4/conf/lo/arp_ignore 2>&1', vars)).toEqual({
      words: ['echo', '1'],
      redirects: [{ op: '>', target: '/proc/sys/net/ipv4/conf/lo/arp_ignore' }, { op: '2>&', target: '1' }],
      unresolved: [],
    });
  });

  it('lists what cannot be known without running the script', () => {
    expect(expandWords('x $UNSET $(hostname -I) `date` $1', vars).unresolved).toEqual(['$UNSET', '$(hostname -I)', '`date`', '$1']);
  });

  it('keeps single-quoted text literal', () => {
    expect(expandWords("echo '$VIP' \\$VIP", vars).words).toEqual(['echo', '$VIP', '$VIP']);
  });
});
