// Fails when a package names an idea with a word the vocabulary table of CONTRIBUTING.md forbids
// (its "never" column): a property of an exported `...Options`, `...Stats` or `...Event` type
// (say `maxQueue`, `limited`, `ttl`, `client`), or a public method of an exported class (say
// `purgeStale()`, `drain()`). A word written with `()` in the table is checked against methods
// only, the others against option, stats and event fields only; a word that is also some row's
// chosen name (`close()`, the shutdown verb, is "never" only as the breaker's reset) is skipped,
// and so is a name in EXCEPTIONS below or a member whose doc comment says `vocabulary: allowed`
// (with the reason).
// Usage: node scripts/check-vocabulary.mjs [--enforce all | --enforce name,name]
import { readFileSync } from 'node:fs';
import {
  enforcedPackages,
  packageNames,
  report,
  sourceFiles,
  ts,
  walk,
  where,
} from './package-sources.mjs';

/** The table's rows: `{ names, never }`, each a list of the backticked words of its column. */
function vocabulary(markdown) {
  const start = markdown.indexOf('| idea | the name | never |');
  if (start === -1) throw new Error('CONTRIBUTING.md has no vocabulary table');
  const rows = markdown
    .slice(start)
    .split('\n')
    .slice(2)
    .filter((line) => line.startsWith('|'));
  const words = (cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  return rows.map((line) => {
    // Cells are split on pipes that are not escaped (`\|` appears inside a cell).
    const cells = line.split(/(?<!\\)\|/).slice(1, -1);
    return { names: words(cells[1] ?? ''), never: words(cells[2] ?? '') };
  });
}

/** `{ methods, fields }`: forbidden words, with what each should be instead. */
function forbidden(rows) {
  const chosen = new Set(rows.flatMap((r) => r.names.map((n) => n.replace(/\(\)$/, ''))));
  const methods = new Map();
  const fields = new Map();
  for (const row of rows) {
    for (const word of row.never) {
      const bare = word.replace(/\(\)$/, '');
      if (!/^[A-Za-z_$][\w$]*$/.test(bare) || chosen.has(bare)) continue;
      (word.endsWith('()') ? methods : fields).set(bare, row.names.join(' / '));
    }
  }
  return { methods, fields };
}

// Names that use a listed word for another idea on purpose, as `<package>:<Owner>.<name>`, with
// the reason. A member may also say so itself: `vocabulary: allowed` in its doc comment.
const EXCEPTIONS = new Map([
  [
    'pool:Lease.destroy',
    "destroys the lease's resource instead of returning it; shuts nothing down",
  ],
]);
const isAllowed = (pkg, found) =>
  EXCEPTIONS.has(`${pkg}:${found.owner}.${found.name}`) ||
  (
    ts.getLeadingCommentRanges(found.node.getSourceFile().text, found.node.getFullStart()) ?? []
  ).some((r) =>
    found.node.getSourceFile().text.slice(r.pos, r.end).includes('vocabulary: allowed'),
  );
const isExported = (node) =>
  node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) === true;
const isPublic = (member) =>
  !member.modifiers?.some(
    (m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword,
  ) &&
  member.name !== undefined &&
  !ts.isPrivateIdentifier(member.name);
const nameOf = (member) =>
  member.name && (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name))
    ? member.name.text
    : undefined;

/** The names a file exports that the table governs, with where each is. */
function namesIn(file) {
  const found = [];
  const fieldsOf = (owner, type) => {
    walk(type, (node) => {
      if (ts.isPropertySignature(node) || ts.isMethodSignature(node)) {
        const name = nameOf(node);
        if (name !== undefined) found.push({ kind: 'field', name, owner, node });
      }
    });
  };
  walk(file, (node) => {
    if (
      (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) &&
      isExported(node) &&
      /(Options|Stats|Event)$/.test(node.name.text)
    )
      fieldsOf(node.name.text, node);
    if (ts.isClassDeclaration(node) && node.name !== undefined && isExported(node)) {
      for (const member of node.members) {
        if (!ts.isMethodDeclaration(member) || !isPublic(member)) continue;
        const name = nameOf(member);
        if (name !== undefined)
          found.push({ kind: 'method', name, owner: node.name.text, node: member });
      }
    }
  });
  return found;
}

const { methods, fields } = forbidden(vocabulary(readFileSync('CONTRIBUTING.md', 'utf8')));
const names = packageNames();
const findings = new Map();
for (const name of names) {
  const list = [];
  for (const file of sourceFiles(name)) {
    for (const found of namesIn(file)) {
      const table = found.kind === 'method' ? methods : fields;
      const instead = table.get(found.name);
      if (instead === undefined || isAllowed(name, found)) continue;
      const shown = found.kind === 'method' ? `${found.name}()` : found.name;
      list.push(`${where(found.node)} ${found.owner}.${shown}: the vocabulary says ${instead}`);
    }
  }
  findings.set(name, list);
}
report('vocabulary', findings, enforcedPackages(process.argv.slice(2), names));
