// The helpers every part of the config validator shares: a failure naming the key path,
// mappings with known keys, values shown as the operator wrote them.

type Obj = Record<string, unknown>;

export type Fail = (path: string, detail: string) => never;

export function expectMapping(value: unknown, path: string, fail: Fail, keys: string[]): Obj {
  if (!isObject(value)) return fail(path, `must be a mapping, not ${show(value)}`);
  for (const key of Object.keys(value)) {
    // Quoted unless plain, so a key of spaces or a newline still gives one readable line.
    const name = /^[\w-]+$/.test(key) ? key : show(key);
    if (!keys.includes(key)) fail(path ? `${path}.${name}` : name, `unknown key; expected one of ${keys.join(', ')}`);
  }
  return value;
}

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// A value as the operator would recognise it, kept short.
export function show(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (Array.isArray(value)) text = 'a list';
  else if (isObject(value)) text = 'a mapping';
  else text = String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
