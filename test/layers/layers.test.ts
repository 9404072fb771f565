import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The source's layers, lowest first: a file imports only from its own layer or one below
// it, so the pure planner never reaches the system, and nothing below reaches what is
// built on it. Dynamic imports (loaded on one path only) count like static ones.
const LAYERS: string[][] = [
  ['errors.ts'],
  ['system', 'config'],
  ['model'],
  ['observe'],
  ['objects'],
  ['plan'],
  ['state'],
  ['apply'],
  ['verdict.ts', 'render'],
  ['store', 'traffic'],
  ['agent.ts'],
  ['daemon', 'install', 'migrate', 'status.ts', 'drain', 'health'],
  ['cli'],
];

const SRC = resolve(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(path: string): number {
  const top = relative(SRC, path).split('/')[0] as string;
  const layer = LAYERS.findIndex((l) => l.includes(top));
  if (layer < 0) throw new Error(`${relative(SRC, path)} is in no layer: add it to LAYERS`);
  return layer;
}

function importsOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] as string);
  return specs.map((s) => resolve(dirname(path), s.replace(/\.js$/, '.ts')));
}

describe('the layers of src/', () => {
  const all = files(SRC);

  it('no import runs back up the layers', () => {
    const upward = all.flatMap((file) =>
      importsOf(file)
        .filter((target) => layerOf(target) > layerOf(file))
        .map((target) => `${relative(SRC, file)} → ${relative(SRC, target)}`),
    );
    expect(upward).toEqual([]);
  });

  it('no import circle', () => {
    const graph = new Map(all.map((f) => [f, importsOf(f)]));
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of all) visit(file, []);
    expect(circles).toEqual([]);
  });

  it('no source file over 300 lines', () => {
    const long = all
      .map((f) => [relative(SRC, f), readFileSync(f, 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > 300);
    expect(long).toEqual([]);
  });
});
