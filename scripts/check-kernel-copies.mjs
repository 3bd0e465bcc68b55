// Fails when a package's src/ holds its own copy of an idea the kernel (tools/kernel) holds once:
// a clock (`performance.now`, `Date.now`, `performance` or `Date` as a clock object), a value
// printer for error messages, a bucketed time window, a Redis script runner (`.evalsha(`,
// `NOSCRIPT`, `createHash('sha1')`) or a never-aborting signal. The source is parsed, so
// comments and prose that name these things do not count.
// Usage: node scripts/check-kernel-copies.mjs [--enforce all | --enforce name,name]
import {
  enforcedPackages,
  packageNames,
  report,
  sourceFiles,
  ts,
  walk,
  where,
} from './package-sources.mjs';

// Names a package's own printer of bad values goes by; the kernel's is `describeValue`.
const PRINTERS = new Set([
  'show',
  'describe',
  'describeValue',
  'printValue',
  'formatValue',
  'inspectValue',
  'stringifyValue',
]);

/** What `node` copies from the kernel, or undefined. */
function copyAt(node) {
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
    const object = node.expression.text;
    const member = node.name.text;
    if ((object === 'performance' || object === 'Date') && member === 'now')
      return `clock: ${object}.now (use the kernel's systemClock)`;
  }
  if (
    ts.isPropertyAccessExpression(node) &&
    node.name.text === 'signal' &&
    isNewAbortController(node.expression)
  )
    return "never-aborting signal: new AbortController().signal (use the kernel's NEVER_ABORTED)";
  if (ts.isIdentifier(node) && (node.text === 'performance' || node.text === 'Date')) {
    const parent = node.parent;
    const accessed = ts.isPropertyAccessExpression(parent) && parent.expression === node;
    const constructed = ts.isNewExpression(parent) && parent.expression === node;
    const typeName = ts.isTypeReferenceNode(parent) || ts.isExpressionWithTypeArguments(parent);
    if (!accessed && !constructed && !typeName && !ts.isPropertyAccessExpression(parent))
      return `clock: ${node.text} used as a clock (use the kernel's systemClock)`;
  }
  if (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    node.expression.name.text === 'evalsha'
  )
    return "script runner: .evalsha( (use the kernel's RedisScript)";
  if (ts.isStringLiteralLike(node) && node.text.includes('NOSCRIPT'))
    return "script runner: NOSCRIPT handling (use the kernel's RedisScript)";
  if (
    ts.isCallExpression(node) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'createHash' &&
    node.arguments[0] !== undefined &&
    ts.isStringLiteralLike(node.arguments[0]) &&
    node.arguments[0].text === 'sha1'
  )
    return "script runner: createHash('sha1') (use the kernel's RedisScript)";
  const declared =
    (ts.isFunctionDeclaration(node) && node.name?.text) ||
    (ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer !== undefined &&
      (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer)) &&
      node.name.text);
  if (declared && PRINTERS.has(declared))
    return `value printer: ${declared}() (use the kernel's describeValue and check* functions)`;
  if ((ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) && /^#?bucketMs$/.test(node.text))
    return "bucketed window: bucketMs (use the kernel's BucketedWindow)";
  return undefined;
}

function isNewAbortController(node) {
  return (
    ts.isNewExpression(node) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'AbortController'
  );
}

const names = packageNames();
const findings = new Map();
for (const name of names) {
  const list = [];
  for (const file of sourceFiles(name)) {
    walk(file, (node) => {
      const copy = copyAt(node);
      if (copy !== undefined) list.push(`${where(node)} ${copy}`);
    });
  }
  // A declaration names the same identifier twice (the declaration and its name node).
  findings.set(name, [...new Set(list)]);
}
report('kernel copies', findings, enforcedPackages(process.argv.slice(2), names));
