import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** True when a `redis-server` binary is on the PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

// Every server this process started, so a crashing test run still stops exactly them.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface RedisServerOptions {
  /** Port to listen on; a free loopback port by default. */
  port?: number;
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: string[];
  /** How long to wait for "Ready to accept connections". Default 10 s. */
  readyTimeoutMs?: number;
}

/**
 * One `redis-server` process on 127.0.0.1 with no persistence, in a temp dir of its own. It is
 * stopped by the pid this harness spawned, never by name, so other Redis servers are untouched.
 */
export class RedisServer {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  #child: ChildProcess | undefined;
  readonly #args: string[];
  readonly #readyTimeoutMs: number;

  private constructor(port: number, args: string[], readyTimeoutMs: number) {
    this.port = port;
    this.#args = args;
    this.#readyTimeoutMs = readyTimeoutMs;
    this.dir = mkdtempSync(join(tmpdir(), `bulwark-redis-${port}-`));
  }

  /** Start a server and resolve once it accepts connections. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const cluster = options.args?.includes('--cluster-enabled') ?? false;
    const port = options.port ?? (await freePort('127.0.0.1', cluster ? 10_000 : undefined));
    const server = new RedisServer(port, options.args ?? [], options.readyTimeoutMs ?? 10_000);
    await server.restart();
    return server;
  }

  /** The pid of the running process, or undefined while it is stopped. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** `redis://127.0.0.1:<port>` */
  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  /** Start (again) on the same port and directory; resolves when ready. */
  async restart(): Promise<void> {
    if (this.#child) throw new Error(`redis-server on port ${this.port} is already running`);
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        this.host,
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
        '--daemonize',
        'no',
        '--loglevel',
        'notice',
        ...this.#args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    running.add(child);
    child.once('exit', () => {
      running.delete(child);
      if (this.#child === child) this.#child = undefined;
    });
    await waitForReady(child, this.port, this.#readyTimeoutMs);
  }

  /** Stop gracefully (SIGTERM) and wait for the process to exit. */
  stop(): Promise<void> {
    return this.#signal('SIGTERM');
  }

  /** Kill abruptly (SIGKILL), as a crash would, and wait for the process to exit. */
  kill(): Promise<void> {
    return this.#signal('SIGKILL');
  }

  /** Stop the process and remove its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /** Run `redis-cli` against this server and return its stdout, trimmed. */
  cli(...args: string[]): Promise<string> {
    return redisCli(this.host, this.port, args);
  }

  #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

function waitForReady(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} not ready after ${timeoutMs} ms:\n${log}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining so a full pipe never blocks the server.
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`redis-server on port ${port} exited (${code ?? signal}) before ready:\n${log}`),
      );
    });
  });
}

/** Run `redis-cli -h host -p port ...args`; resolves with trimmed stdout. */
export function redisCli(host: string, port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-h', host, '-p', String(port), ...args], (error, stdout, stderr) => {
      if (error)
        reject(new Error(`redis-cli ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout.trim());
    });
  });
}
