// Every ```ts example of every package README, as a new user would paste it: type-checked
// against the built packages (strict, module nodenext, in one tsc run) and run with node. An
// example that uses an HTTP API reads its origin from API_ORIGIN (a stub server started here);
// one that uses Redis reads REDIS_URL or REDIS_CLUSTER (the harness's servers); one that starts
// a server gets `src/preload.mjs`, which moves it to a free port, sends it one request and
// closes it. Each must exit on its own with code 0 within the time limit: an example that
// leaves a client open fails here. Blocks marked `<!-- not-runnable: reason -->` are only
// type-checked.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeRedis, redisTargets } from '@bulwark/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractExamples } from '../src/extract.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const work = fileURLToPath(new URL('../.work/', import.meta.url));
const preload = new URL('../src/preload.mjs', import.meta.url).href;
const tsc = join(root, 'node_modules/typescript/bin/tsc');
// Generous: an example runs in well under a second; this only ends one that cannot exit.
const EXIT_LIMIT_MS = 30_000;

interface Case {
  /** `packages/<name>/README.md:<line>`, for messages. */
  where: string;
  name: string;
  line: number;
  code: string;
  notRunnable: string | undefined;
  needs: 'redis' | undefined;
  listens: boolean;
}

const packageNames = readdirSync(join(root, 'packages')).filter((name) =>
  existsSync(join(root, 'packages', name, 'README.md')),
);
const cases: Case[] = packageNames.flatMap((pkg) =>
  extractExamples(readFileSync(join(root, 'packages', pkg, 'README.md'), 'utf8')).map(
    (example) => ({
      where: `packages/${pkg}/README.md:${example.line}`,
      name: `${pkg}-${example.line}`,
      line: example.line,
      code: example.code,
      notRunnable: example.notRunnable,
      needs: /process\.env\.REDIS_(URL|CLUSTER)/.test(example.code) ? 'redis' : undefined,
      // Code only: a comment may mention listen() as an alternative.
      listens: /\.listen\(/.test(example.code.replace(/\/\/.*$/gm, '')),
    }),
  ),
);

/** tsc's complaints, by example name. */
const diagnostics = new Map<string, string[]>();
let typecheckOutput = '';

function run(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: work, env, timeout: EXIT_LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: number; signal?: string }) | null;
        resolve({
          code: failure === null ? 0 : typeof failure.code === 'number' ? failure.code : null,
          signal: failure?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

beforeAll(async () => {
  const unbuilt = packageNames.filter((pkg) => !existsSync(join(root, 'packages', pkg, 'dist')));
  if (unbuilt.length > 0)
    throw new Error(`build the packages first (npm run build): no dist/ in ${unbuilt.join(', ')}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'package.json'), '{ "type": "module", "private": true }\n');
  writeFileSync(
    join(work, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'ESNext.Disposable'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          outDir: 'out',
          rootDir: '.',
        },
        include: ['*.ts'],
      },
      null,
      2,
    )}\n`,
  );
  // `export {}` makes each file a module of its own even when it imports nothing.
  for (const c of cases) writeFileSync(join(work, `${c.name}.ts`), `${c.code}\nexport {};\n`);
  const result = await run([tsc, '-p', join(work, 'tsconfig.json'), '--pretty', 'false']);
  typecheckOutput = result.stdout + result.stderr;
  for (const line of typecheckOutput.split('\n')) {
    const match = /^([\w.-]+)\.ts\((\d+),(\d+)\): (.*)$/.exec(line);
    if (match === null) continue;
    const c = cases.find((x) => x.name === match[1]);
    if (c === undefined) continue;
    const list = diagnostics.get(c.name) ?? [];
    list.push(
      `${c.where.replace(/:\d+$/, '')}:${c.line + Number(match[2]) - 1}:${match[3]} ${match[4]}`,
    );
    diagnostics.set(c.name, list);
  }
}, 120_000);

describe('README examples type-check (strict, module nodenext) against the built packages', () => {
  it('finds examples in every package README', () => {
    expect(cases.length).toBeGreaterThan(0);
    for (const pkg of packageNames)
      expect(cases.some((c) => c.name.startsWith(`${pkg}-`))).toBe(true);
  });

  it('tsc ran', () => {
    // A tsc that failed for another reason than the examples (say, a bad config) shows here.
    const unmatched = typecheckOutput
      .split('\n')
      .filter((line) => line.includes('error TS') && !/^[\w.-]+\.ts\(/.test(line));
    expect(unmatched).toEqual([]);
  });

  for (const c of cases)
    it(`${c.where}`, () => {
      expect(diagnostics.get(c.name) ?? []).toEqual([]);
    });
});

async function runExample(c: Case, env: NodeJS.ProcessEnv): Promise<void> {
  expect(diagnostics.get(c.name) ?? [], 'it must type-check first').toEqual([]);
  const args = c.listens ? ['--import', preload] : [];
  const result = await run([...args, join(work, 'out', `${c.name}.js`)], {
    ...process.env,
    ...env,
  });
  const report = `${c.where} exited with ${result.code ?? result.signal}${
    result.signal === 'SIGKILL'
      ? ` (still running after ${EXIT_LIMIT_MS} ms: does it close what it opens?)`
      : ''
  }\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
  expect(result.code, report).toBe(0);
  if (c.listens) expect(result.stdout, report).toMatch(/\[readme-examples\] GET \/ answered 200/);
}

describe('README examples run as pasted and exit', () => {
  let stub: Server;
  let apiOrigin = '';
  beforeAll(async () => {
    // The API the HTTP examples call: any path answers 200 with a little JSON.
    stub = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('connection', 'close');
      res.end(JSON.stringify({ ok: true, method: req.method, path: req.url }));
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    apiOrigin = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => stub.close(() => resolve()));
  });

  for (const c of cases.filter((x) => x.notRunnable === undefined && x.needs === undefined))
    it.concurrent(
      `${c.where}`,
      async () => {
        await runExample(c, { API_ORIGIN: apiOrigin });
      },
      EXIT_LIMIT_MS + 10_000,
    );
});

describeRedis('README examples that use Redis run as pasted and exit', () => {
  for (const c of cases.filter((x) => x.notRunnable === undefined && x.needs === 'redis'))
    it.concurrent(
      `${c.where}`,
      async () => {
        const targets = redisTargets()!;
        await runExample(c, {
          REDIS_URL: targets.standalone.url,
          REDIS_CLUSTER: targets.cluster.map((node) => `${node.host}:${node.port}`).join(','),
        });
      },
      EXIT_LIMIT_MS + 10_000,
    );
});

describe('packaging notes every README and package carry', () => {
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  it('the root LICENSE is MIT, by the Bulwark authors', () => {
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 The Bulwark authors\n/);
  });
  for (const pkg of packageNames)
    it(`packages/${pkg}: ships the LICENSE and says it is not on npm yet`, () => {
      const dir = join(root, 'packages', pkg);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      expect(manifest.license).toBe('MIT');
      expect(manifest.files).toContain('LICENSE');
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(license);
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/\*\*Not on npm yet\.\*\*/);
    });
});
