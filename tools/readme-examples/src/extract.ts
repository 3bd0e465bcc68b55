// Finds the TypeScript examples of a README: every ```ts fence (also indented, inside a list
// item), with the 1-based line of its first code line and, when the line before the fence (blank
// lines aside) is `<!-- not-runnable: reason -->`, that reason: such a block is type-checked
// but not run. Keep such marks rare: an example should work as pasted.

/** One ```ts block of a README. */
export interface Example {
  /** The code, with the fence's indentation removed. */
  code: string;
  /** Line of the README (1-based) where the code starts. */
  line: number;
  /** Why the block is not run, when it carries a `not-runnable` mark. */
  notRunnable: string | undefined;
}

const OPEN = /^(\s*)```ts\s*$/;
const CLOSE = /^\s*```\s*$/;
const MARK = /^\s*<!--\s*not-runnable:\s*(.+?)\s*-->\s*$/;

/** The ```ts blocks of `markdown`, in order. */
export function extractExamples(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]!);
    if (open === null) continue;
    const indent = open[1]!.length;
    let end = i + 1;
    while (end < lines.length && !CLOSE.test(lines[end]!)) end++;
    if (end === lines.length) throw new Error(`unclosed \`\`\`ts fence at line ${i + 1}`);
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const mark = before >= 0 ? MARK.exec(lines[before]!) : null;
    examples.push({
      code: lines
        .slice(i + 1, end)
        .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
        .join('\n'),
      line: i + 2,
      notRunnable: mark?.[1],
    });
    i = end;
  }
  return examples;
}
