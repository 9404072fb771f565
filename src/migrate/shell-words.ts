// Turns one statement into words the way sh would for the simple cases init scripts
// use: quotes, backslashes, $NAME / ${NAME} / ${NAME:-default} expanded from the
// variables seen so far (unquoted expansions split on blanks), and redirections
// taken out. What cannot be known without running the script (command substitution,
// positional parameters, unset variables) is listed in `unresolved`.

export interface Redirect {
  op: string; // >, >>, <, >& ...
  target: string;
}

export interface Words {
  words: string[];
  redirects: Redirect[];
  unresolved: string[];
}

export function expandWords(text: string, vars: ReadonlyMap<string, string>): Words {
  const words: string[] = [];
  const redirects: Redirect[] = [];
  const unresolved: string[] = [];
  let word = '';
  let started = false;
  let quoted = false; // the word has a quoted part: "1">file is a word and a redirection
  let pendingRedirect: string | null = null;

  const finish = () => {
    if (!started) return;
    if (pendingRedirect !== null) {
      redirects.push({ op: pendingRedirect, target: word });
      pendingRedirect = null;
    } else {
      words.push(word);
    }
    word = '';
    started = false;
    quoted = false;
  };
  const lookup = (name: string, fallback?: string): string => {
    const value = vars.get(name);
    if (value !== undefined && (value !== '' || fallback === undefined)) return value;
    if (fallback !== undefined) return fallback;
    unresolved.push(`$${name}`);
    return '';
  };
  // Reads a $-expansion at i (text[i] === '$'); returns its value and the next index.
  const dollar = (i: number): [string, number] => {
    const rest = text.slice(i + 1);
    let m = /^\{([A-Za-z_]\w*)(:?-([^}]*))?\}/.exec(rest);
    if (m) return [lookup(m[1] as string, m[2] ? (m[3] ?? '') : undefined), i + 1 + m[0].length];
    m = /^[A-Za-z_]\w*/.exec(rest);
    if (m) return [lookup(m[0]), i + 1 + m[0].length];
    m = /^\((.*?)\)/.exec(rest);
    if (m) {
      unresolved.push(`$(${m[1]})`);
      return ['', i + 1 + m[0].length];
    }
    m = /^([0-9@*#?$!-]|\{[^}]*\})/.exec(rest);
    if (m) {
      unresolved.push(`$${m[0]}`);
      return ['', i + 1 + m[0].length];
    }
    return ['$', i + 1];
  };

  for (let i = 0; i < text.length; ) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      finish();
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word += text.slice(i + 1, end < 0 ? undefined : end);
      started = true;
      quoted = true;
      i = end < 0 ? text.length : end + 1;
    } else if (c === '"') {
      started = true;
      quoted = true;
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) {
          word += text[i + 1];
          i += 2;
        } else if (text[i] === '$') {
          const [value, next] = dollar(i);
          word += value;
          i = next;
        } else {
          word += text[i++];
        }
      }
      i++;
    } else if (c === '\\') {
      word += text[i + 1] ?? '';
      started = true;
      i += 2;
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      unresolved.push(text.slice(i, end < 0 ? undefined : end + 1));
      started = true;
      i = end < 0 ? text.length : end + 1;
    } else if (c === '$') {
      const [value, next] = dollar(i);
      // Unquoted: the value splits into words on blanks.
      const parts = value.split(/\s+/);
      parts.forEach((part, n) => {
        if (n > 0) finish();
        word += part;
        if (part !== '') started = true;
      });
      i = next;
    } else if (c === '>' || c === '<') {
      // A bare number or & right before it names the descriptor (2>, &>); anything else is a word.
      let fd = '';
      if (started && !quoted && /^[0-9&]+$/.test(word)) {
        fd = word;
        word = '';
        started = false;
      } else {
        finish();
      }
      const m = /^[<>]{1,2}&?/.exec(text.slice(i)) as RegExpExecArray;
      const op = `${fd}${m[0]}`;
      i += m[0].length;
      // `2>&1`: the target is a descriptor, glued on.
      const target = /^[0-9-]+/.exec(text.slice(i));
      if (op.endsWith('&') && target) {
        redirects.push({ op, target: target[0] });
        i += target[0].length;
      } else {
        pendingRedirect = op;
      }
    } else {
      word += c;
      started = true;
      i++;
    }
  }
  finish();
  return { words, redirects, unresolved };
}
