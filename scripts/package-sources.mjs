// What the convention checks share: the packages under packages/, their parsed src/ files, and
// the `--enforce` argument that says which packages' findings fail the run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** Every package folder under packages/ (by folder name). */
export function packageNames() {
  if (!existsSync('packages')) return [];
  return readdirSync('packages', { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join('packages', d.name, 'src')))
    .map((d) => d.name)
    .sort();
}

/** The parsed `.ts` files under packages/<name>/src, recursively. */
export function sourceFiles(name) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
    }
  };
  walk(join('packages', name, 'src'));
  return files.map((path) =>
    ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true),
  );
}

/** `path:line` of a node, for reports. */
export function where(node) {
  const file = node.getSourceFile();
  const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return `${file.fileName}:${line + 1}`;
}

/** Calls `visit` on every node of `file`. */
export function walk(file, visit) {
  const go = (node) => {
    visit(node);
    ts.forEachChild(node, go);
  };
  go(file);
}

/**
 * The packages whose findings fail the run, from `--enforce a,b` (or `--enforce 'a b'`);
 * `--enforce all`, or no `--enforce`, means every package.
 */
export function enforcedPackages(argv, all) {
  const i = argv.indexOf('--enforce');
  if (i === -1) return new Set(all);
  const list = (argv[i + 1] ?? '').split(/[\s,]+/).filter(Boolean);
  return new Set(list.includes('all') ? all : list);
}

/**
 * Prints the findings per package and exits: 1 when an enforced package has any, else 0 (the
 * findings of packages not enforced yet are reported all the same).
 */
export function report(title, findings, enforced) {
  let failing = 0;
  for (const [name, list] of findings) {
    const enforcing = enforced.has(name);
    if (list.length === 0) {
      console.log(`ok   ${title} ${name}`);
      continue;
    }
    if (enforcing) failing++;
    console.log(`${enforcing ? 'FAIL' : 'todo'} ${title} ${name} (${list.length})`);
    for (const line of list) console.log(`       ${line}`);
  }
  const waived = [...findings].filter(([n, l]) => l.length > 0 && !enforced.has(n)).length;
  console.log(
    `${title}: ${findings.size} packages, ${failing} failing${waived ? `, ${waived} reported but not enforced yet` : ''}`,
  );
  process.exit(failing === 0 ? 0 : 1);
}

export { ts };
