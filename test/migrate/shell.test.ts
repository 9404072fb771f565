import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../src/migrate/shell-split.js';
import { Budget } from '../../src/migrate/bounds.js';
import { expandWords } from '../../src/migrate/shell-words.js';

const expand = (text: string, vars: ReadonlyMap<string, string>) => expandWords(text, vars, new Budget());

describe('splitStatements', () => {
  it('drops comments, joins continuations, splits on ; ;; && || & and keeps line numbers', () => {
    const script =
      '# header\nA=1 # set\nip addr add \\\n  $A dev lo; echo x && echo y\n  start)   start ;;\nx=$(a; b) || true &\necho "#not a comment"';
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
    expect(
      splitStatements('start|restart) go ;;\nsysctl -p >/dev/null 2>&1\nx &>/dev/null').map((s) => s.text),
    ).toEqual(['start|restart) go', ';;', 'sysctl -p >/dev/null 2>&1', 'x &>/dev/null']);
  });
});

describe('splitStatements: heredocs and multi-line arrays', () => {
  it('drops heredoc bodies (<<EOF, <<-EOF with tabs, quoted delimiters) and keeps the command that opens them', () => {
    const script =
      'cat > f <<EOF\nifconfig lo:0 192.0.2.1 up\nEOF\n\tcat <<-\'END\' | x\n\tip addr add 192.0.2.2/32 dev lo\n\tEND\necho "<<NOT" here\nA=1';
    expect(splitStatements(script)).toEqual([
      { line: 1, text: 'cat > f <<EOF' },
      { line: 4, text: "cat <<-'END' | x" },
      { line: 7, text: 'echo "<<NOT" here' },
      { line: 8, text: 'A=1' },
    ]);
  });

  it('joins an array assignment spread over lines, comments dropped; keeps (( )) whole', () => {
    expect(splitStatements('V=(\n  a # first\n  b\n)\nfor ((i=0; i<2; i++)); do x; done').map((s) => s.text)).toEqual([
      'V=(   a   b )',
      'for ((i=0; i<2; i++))',
      'do x',
      'done',
    ]);
  });
});

describe('expandWords', () => {
  const vars = new Map([
    ['VIP', '192.0.2.10'],
    ['LIST', 'a b  c'],
    ['EMPTY', ''],
  ]);

  it('expands $VAR, ${VAR}, "$VAR" and ${VAR:-default}; unquoted values split into words', () => {
    expect(expand('ip addr add ${VIP}/32 dev "lo" $LIST "$LIST" ${EMPTY:-d} ${NOPE-x}', vars).words).toEqual([
      'ip',
      'addr',
      'add',
      '192.0.2.10/32',
      'dev',
      'lo',
      'a',
      'b',
      'c',
      'a b  c',
      'd',
      'x',
    ]);
  });

  it('separates redirections from words, including a quoted value right before >', () => {
    expect(expand('echo "1">/proc/sys/net/ipv4/conf/lo/arp_ignore 2>&1', vars)).toEqual({
      words: ['echo', '1'],
      redirects: [
        { op: '>', target: '/proc/sys/net/ipv4/conf/lo/arp_ignore' },
        { op: '2>&', target: '1' },
      ],
      unresolved: [],
      defaulted: [],
    });
  });

  it('lists what cannot be known without running the script', () => {
    expect(expand('x $UNSET $(hostname -I) `date` $1', vars).unresolved).toEqual([
      '$UNSET',
      '$(hostname -I)',
      '`date`',
      '$1',
    ]);
  });

  it('expands arrays: ${A[@]}, "${A[@]}" one word each, ${A[*]}, ${A[i]}, ${#A[@]}, ${!A[@]}, $A as ${A[0]}', () => {
    const arrays = new Map([
      ['A[0]', 'x y'],
      ['A[2]', 'z'],
      ['i', '2'],
    ]);
    expect(expand('c ${A[@]} "${A[@]}" "${A[*]}" ${A[$i]} ${A[i]} ${#A[@]} ${!A[@]} $A', arrays).words).toEqual([
      'c',
      'x',
      'y',
      'z',
      'x y',
      'z',
      'x y z',
      'z',
      'z',
      '2',
      '0',
      '2',
      'x',
      'y',
    ]);
    expect(expand('c ${B[@]} ${A[k]}', arrays).unresolved).toEqual(['${B[@]}', '${A[k]}']);
  });

  it('positional parameters: known when given, a default taken is reported, $@ only when $# is known', () => {
    const args = new Map([
      ['1', '192.0.2.10'],
      ['#', '1'],
    ]);
    expect(expand('x $1 ${1} "$@" ${2:-start}', args)).toMatchObject({
      words: ['x', '192.0.2.10', '192.0.2.10', '192.0.2.10', 'start'],
      defaulted: [{ param: '2', value: 'start' }],
    });
    expect(expand('x ${1:-d} $@', new Map()).unresolved).toEqual(['$@']);
  });

  it('keeps single-quoted text literal', () => {
    expect(expand("echo '$VIP' \\$VIP", vars).words).toEqual(['echo', '$VIP', '$VIP']);
  });
});
