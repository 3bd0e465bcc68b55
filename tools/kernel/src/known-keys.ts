// Plain-JS users get no compiler help: `{ ttl: 5000 }` for `ttlMs` would silently do nothing.
// Every constructor therefore lists its option names and refuses any other, suggesting the
// nearest valid one.

/**
 * Throws a TypeError when `options` has an own key not in `known`, naming it and what to write
 * instead: the name `renames` gives for it (a former or another library's name, such as
 * `maxQueue` → `maxWaiting`; used only when that name, or the option before its first dot, is in
 * `known`), else, when one is close enough to be a likely typo, the nearest valid name:
 * `unknown option "maxQueue" in createPool(options); use "maxWaiting" instead`,
 * `unknown option "ttl" in createCache(options); did you mean "ttlMs"?`.
 * Keys whose value is `undefined` are refused too: a misspelt key is wrong whatever its value.
 */
export function checkKnownKeys(
  options: object,
  known: ReadonlySet<string>,
  where: string,
  renames?: ReadonlyMap<string, string>,
): void {
  for (const key in options) {
    if (!Object.hasOwn(options, key) || known.has(key)) continue;
    const renamed = renames?.get(key);
    if (renamed !== undefined && known.has(renamed.split('.', 1)[0] as string))
      throw new TypeError(
        `unknown option ${JSON.stringify(key)} in ${where}; use ${JSON.stringify(renamed)} instead`,
      );
    const nearest = nearestName(key, known);
    throw new TypeError(
      `unknown option ${JSON.stringify(key)} in ${where}${nearest ? `; did you mean ${JSON.stringify(nearest)}?` : ''}`,
    );
  }
}

/**
 * The valid name a typo most likely meant: same letters ignoring case, a prefix either way
 * (`ttl` → `ttlMs`), or the smallest edit distance within a third of the name's length.
 */
export function nearestName(typo: string, known: Iterable<string>): string | undefined {
  const lower = typo.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const name of known) {
    const candidate = name.toLowerCase();
    let score: number;
    if (candidate === lower) score = 0;
    else if (candidate.startsWith(lower) || lower.startsWith(candidate))
      score = 1 + Math.abs(candidate.length - lower.length) / 100;
    else {
      const distance = editDistance(lower, candidate);
      if (distance > Math.max(2, Math.floor(Math.max(lower.length, candidate.length) / 3)))
        continue;
      score = 1 + distance;
    }
    if (score < bestScore) {
      bestScore = score;
      best = name;
    }
  }
  return best;
}

// Levenshtein distance with one rolling row.
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
