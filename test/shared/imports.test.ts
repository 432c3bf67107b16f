import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every .ts file under `dir`. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The shared/ files a file imports (types too: a circle of types is still a circle). */
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of source.matchAll(/^(?:import|export)\b[^;]*?from '(\.[^']+)'/gms)) {
    const target = resolve(dirname(file), match[1] ?? '');
    for (const candidate of [`${target}.ts`, join(target, 'index.ts')]) {
      try {
        if (statSync(candidate).isFile()) {
          found.push(relative(process.cwd(), candidate));
          break;
        }
      } catch {
        // not this one
      }
    }
  }
  return found;
}

/** The first import circle between the folders of shared/ (e.g. game ⇄ wire), or null. */
function folderCircle(): string[] | null {
  const folderOf = (file: string): string => relative('shared', dirname(file)) || '.';
  const edges = new Map<string, Set<string>>();
  for (const file of files('shared')) {
    for (const target of importsOf(file)) {
      const [from, to] = [folderOf(file), folderOf(target)];
      if (from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
  }
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    const at = path.indexOf(node);
    if (at >= 0) return [...path.slice(at), node];
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const circle = visit(next);
      if (circle !== null) return circle;
    }
    path.pop();
    return null;
  };
  for (const node of edges.keys()) {
    const circle = visit(node);
    if (circle !== null) return circle;
  }
  return null;
}

describe('shared/ imports', () => {
  it('flow one way between its folders: no circle (levels once imported wire, and wire levels)', () => {
    expect(folderCircle()).toBeNull();
  });
});
