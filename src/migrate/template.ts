// Template placeholders left in a script that config management renders before
// installing it: Jinja/Ansible/Go `{{ vip }}` (and `${{ vip }}`), ERB `<%= @vip %>`.

const PLACEHOLDER = /\$?\{\{-?\s*(.*?)\s*-?\}\}|<%=?-?\s*(.*?)\s*-?%>/;

// The first placeholder in the text, as written, with the name it stands for when
// that is a plain name (`vip`, `@vip`, `lvs.vip`).
export function findPlaceholder(text: string): { placeholder: string; name: string | null } | null {
  const m = PLACEHOLDER.exec(text);
  if (!m) return null;
  const inner = (m[1] ?? m[2] ?? '').replace(/^@/, '');
  return { placeholder: m[0], name: /^[A-Za-z_][\w.]*$/.test(inner) ? inner : null };
}

// The script with each placeholder whose name has a value put in its place.
export function fillPlaceholders(script: string, values: ReadonlyMap<string, string>): string {
  if (values.size === 0) return script;
  return script.replace(new RegExp(PLACEHOLDER.source, 'g'), (whole, jinja?: string, erb?: string) => {
    const name = (jinja ?? erb ?? '').replace(/^@/, '');
    return values.get(name) ?? whole;
  });
}
