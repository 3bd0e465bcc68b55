// `scriptFor` as another git revision has it: that revision's src/redis/scripts.ts, written to a
// temp file (its kernel import pointed at this checkout's kernel) and imported, for benches that
// compare scripts before and after.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RedisScript } from '@bulwark/kernel';
import type { AlgorithmSpec } from '../src/types.js';

/** `scriptFor` of revision `rev` (anything `git show` takes). */
export async function scriptsOf(rev: string): Promise<(spec: AlgorithmSpec) => RedisScript> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const text = execFileSync('git', ['show', `${rev}:packages/rate-limiter/src/redis/scripts.ts`], {
    cwd: here,
    encoding: 'utf8',
  });
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-scripts-'));
  const file = join(dir, 'scripts.ts');
  const kernel = resolve(here, '../../../tools/kernel/src/index.ts');
  writeFileSync(file, text.replace("from '@bulwark/kernel'", `from '${kernel}'`));
  try {
    return ((await import(file)) as { scriptFor: (spec: AlgorithmSpec) => RedisScript }).scriptFor;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
