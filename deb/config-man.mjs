// rs-agent.yaml(5), made from docs/configuration.md when the package is built, so the man page
// and the reference an operator reads online are one text: the example, every key of the
// reference's table (its type, default and meaning) and the environment.

// A markdown section's body, by its "## " heading.
function section(markdown, heading) {
  const part = markdown.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  if (part === undefined) throw new Error(`docs/configuration.md has no "## ${heading}" section`);
  return part.slice(heading.length + 1);
}

// Text groff prints as written: a backslash as \e, a minus as \-, no line starting a request.
function escape(text) {
  return text
    .replaceAll('\\', '\\e')
    .replaceAll('-', '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

// One cell or paragraph of markdown as groff: `code` bold, links as their text (a link in
// parentheses, to a page the package does not ship, left out), the few non-ASCII characters named.
function inline(text) {
  const plain = text
    .replaceAll('\\|', '|')
    .replace(/\s\(\[[^\]]*\]\([^)]*\)\)/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
  return escape(plain)
    .replaceAll('—', '\\(em')
    .replaceAll('→', '\\(->')
    .replaceAll('…', '...')
    .replace(/`([^`]*)`/g, '\\fB$1\\fR')
    .replace(/\*\*([^*]*)\*\*/g, '\\fB$1\\fR');
}

// The rows of a markdown table, each a list of cells, its header and rule left out.
function rows(text) {
  return text
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('|---'))
    .slice(1)
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

// The paragraphs and code blocks of a section, as groff.
function prose(text) {
  return text
    .split(/\n\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) =>
      p.startsWith('```') ? `.PP\n.nf\n${escape(p.replace(/^```\w*\n|\n```$/g, ''))}\n.fi` : `.PP\n${inline(p)}`,
    )
    .join('\n');
}

export function configManPage(markdown) {
  const example = /```yaml\n([\s\S]*?)```/.exec(section(markdown, 'Configuration'))?.[1] ?? '';
  const keys = rows(section(markdown, 'Keys')).map(([key, type, fallback, meaning]) => {
    const facts = [`${inline(type)}.`, fallback && !fallback.startsWith('—') ? `Default: ${inline(fallback)}.` : ''];
    return `.TP\n.B ${escape(key.replaceAll('`', ''))}\n${facts.filter(Boolean).join(' ')}\n${meaning ? inline(meaning) : ''}`;
  });
  const environment = rows(section(markdown, 'Environment')).map(
    ([name, meaning]) => `.TP\n.B ${escape(name.replaceAll('`', ''))}\n${inline(meaning)}`,
  );
  return `${[
    '.TH RS-AGENT.YAML 5 "" "rs-agent" "File Formats"',
    '.SH NAME',
    'rs-agent.yaml \\- the configuration of rs-agent',
    '.SH SYNOPSIS',
    '.I /etc/rs-agent/rs-agent.yaml',
    '.SH DESCRIPTION',
    'The VIPs this real server of an LVS cluster serves, how it keeps them from being answered by ARP,',
    'and how',
    '.B rs-agent run',
    'repairs drift; YAML. A key not listed here is an error, as is a bad value: one line naming the',
    'key and the value, exit status 2, nothing changed.',
    '.B rs-agent validate',
    'checks a file.',
    '.SH EXAMPLE',
    '.nf',
    escape(example.trimEnd()),
    '.fi',
    '.SH KEYS',
    'Durations are seconds (30) or a number with ms, s, m or h.',
    ...keys,
    '.SH RULES',
    prose(section(markdown, 'Rules the keys share')),
    '.SH ENVIRONMENT',
    ...environment,
    '.SH SEE ALSO',
    '.BR rs-agent (8)',
  ].join('\n')}\n`;
}
