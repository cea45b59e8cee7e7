import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync, type WriteStream } from "node:fs";
import path from "node:path";

/** A function as the template declares it, with its staged asset and layers. */
export interface FunctionSpec {
  name: string;
  arn: string;
  logicalId: string;
  stackName: string;
  handler: string;
  runtime: string;
  timeoutSeconds: number;
  memoryMb: number;
  ephemeralMb: number;
  environment: Record<string, string>;
  /** The staged asset directory: what `cdk deploy` zips and uploads, file modes included. */
  codeDir: string;
  /** Staged layer directories, in the template's order (later ones win, as Lambda extracts them). */
  layerDirs: string[];
  /** Asynchronous invocation: retries of a failed execution (EventInvokeConfig, default 2). */
  retryAttempts: number;
  maxEventAgeSeconds: number;
  /** The function's dead-letter queue (an SQS ARN), for events whose async retries ran out. */
  deadLetterArn?: string;
}

export type InvokeOutcome =
  | { ok: true; result: unknown; ms: number }
  | { ok: false; errorType: string; errorMessage: string; ms: number; timedOut: boolean };

export interface LambdaServiceOptions {
  /** Environment every function gets beside its own: credentials, region, endpoint overrides. */
  platformEnv: Record<string, string>;
  /** Where sandboxes, logs and the bootstrap live. */
  workDir: string;
  /** Multiplies every function's timeout (a long-media run scales timeouts down in proportion). */
  timeScale?: number;
  /** Environments per function (Lambda's concurrency), default 2. */
  concurrency?: number;
  /** Called with a dead-lettered event (async retries exhausted). */
  deadLetter?: (fn: FunctionSpec, event: unknown, outcome: InvokeOutcome & { ok: false }) => Promise<void>;
  log?: (line: string) => void;
}

/** The uid/gid functions run as: Lambda runs code as a non-root user (`sbx_user1051`); here `nobody`. */
export const SANDBOX_UID = 65534;
export const SANDBOX_GID = 65534;

interface Environment {
  child: ChildProcess;
  busy: boolean;
  ready: Promise<void>;
  pending?: { id: string; resolve: (o: InvokeOutcome) => void; started: number; timer: NodeJS.Timeout };
  dead: boolean;
}

/**
 * The harness's stand-in for the Lambda service: each function runs from its synthesized asset in an
 * execution environment of its own, a process in a private mount namespace where the asset is
 * mounted read-only at /var/task, the layers at /opt and a tmpfs of the function's ephemeral storage
 * size at /tmp, run as a non-root user with the template's handler, environment and timeout. An
 * environment serves one invocation at a time and stays warm; one that times out or crashes is
 * discarded, as Lambda discards it.
 */
export class LambdaService {
  private readonly functions = new Map<string, FunctionSpec>();
  private readonly pools = new Map<string, Environment[]>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private readonly logs = new Map<string, WriteStream>();
  private readonly bootstrapDir: string;
  private stopped = false;
  /** Invocations per function logical id (each attempt counts). */
  readonly invocations = new Map<string, number>();
  /** Each invocation's duration (ms, init excluded) per function logical id, in the order they ended. */
  readonly durations = new Map<string, number[]>();
  private timeScale: number;
  private fixedMs: ReadonlyMap<string, number> = new Map();

  constructor(private readonly options: LambdaServiceOptions) {
    this.timeScale = options.timeScale ?? 1;
    if (process.getuid?.() !== 0) {
      throw new Error("the Lambda stand-in needs root to build each function's sandbox (mount namespace, run as nobody): run the harness as root");
    }
    this.bootstrapDir = path.join(options.workDir, "runtime");
    mkdirSync(this.bootstrapDir, { recursive: true, mode: 0o755 });
    mkdirSync(path.join(options.workDir, "logs"), { recursive: true });
    writeFileSync(path.join(this.bootstrapDir, "bootstrap.mjs"), BOOTSTRAP_SOURCE(), { mode: 0o644 });
    // Mount points of the sandboxes (empty directories; the mounts live only in each namespace).
    for (const dir of ["/var/task", "/var/runtime", "/opt"]) mkdirSync(dir, { recursive: true });
  }

  /**
   * Scales timeouts from now on for a long-media run. A function's time is a part that does not grow
   * with the media (process and SDK start, a few API calls: `fixedMs`, measured per function on a
   * short media) and a part that does. Only the second may be scaled: if a function's fixed part F and
   * its work W(d) fit T in Lambda for the longest media, then for media `scale` times as long,
   * F + W(d) ≤ F + scale·(T − F). Scaling all of T would count F twenty times over against a
   * 12-minute run, which measures the emulators and the machine's load, not the function.
   */
  scaleTimeouts(scale: number, fixedMs: ReadonlyMap<string, number> = new Map()): void {
    this.timeScale = scale;
    this.fixedMs = fixedMs;
  }

  /** The timeout an invocation of `fn` gets now, in ms. */
  timeoutMs(fn: FunctionSpec): number {
    const full = fn.timeoutSeconds * 1000;
    const fixed = Math.min(full, this.fixedMs.get(fn.logicalId) ?? 0);
    return Math.max(1, Math.round(fixed + this.timeScale * (full - fixed)));
  }

  register(spec: FunctionSpec): void {
    this.functions.set(spec.name, spec);
    this.functions.set(spec.arn, spec);
  }

  get(nameOrArn: string): FunctionSpec {
    const fn = this.functions.get(nameOrArn);
    if (!fn) throw new Error(`no function ${nameOrArn} in the deployment`);
    return fn;
  }

  list(): FunctionSpec[] {
    return [...new Set(this.functions.values())];
  }

  /** A synchronous invocation (RequestResponse): one attempt, its outcome. */
  async invoke(nameOrArn: string, event: unknown): Promise<InvokeOutcome> {
    const fn = this.get(nameOrArn);
    this.invocations.set(fn.logicalId, (this.invocations.get(fn.logicalId) ?? 0) + 1);
    const env = await this.acquire(fn);
    return this.run(fn, env, event);
  }

  /**
   * An asynchronous invocation (Event), as EventBridge, SNS and S3 make them: a failed execution is
   * retried per the function's async config (with Lambda's backoff, scaled), then dead-lettered.
   */
  async invokeAsync(nameOrArn: string, event: unknown): Promise<InvokeOutcome> {
    const fn = this.get(nameOrArn);
    let outcome: InvokeOutcome | undefined;
    for (let attempt = 0; attempt <= fn.retryAttempts; attempt++) {
      if (attempt > 0) await sleep(attempt * 1_000 * this.timeScale); // Lambda waits 1 min, then 2 (scaled to seconds here)
      outcome = await this.invoke(fn.name, event);
      if (outcome.ok || this.stopped) return outcome;
      this.options.log?.(`${fn.logicalId}: attempt ${attempt + 1} failed: ${outcome.errorType}: ${outcome.errorMessage}`);
    }
    if (!outcome!.ok) await this.options.deadLetter?.(fn, event, outcome as InvokeOutcome & { ok: false });
    return outcome!;
  }

  private async acquire(fn: FunctionSpec): Promise<Environment> {
    for (;;) {
      if (this.stopped) throw new Error("the Lambda stand-in is stopped");
      const pool = (this.pools.get(fn.name) ?? []).filter((e) => !e.dead);
      this.pools.set(fn.name, pool);
      const idle = pool.find((e) => !e.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (pool.length < (this.options.concurrency ?? 2)) {
        const env = this.start(fn);
        env.busy = true;
        pool.push(env);
        return env;
      }
      await new Promise<void>((resolve) => this.waiters.set(fn.name, [...(this.waiters.get(fn.name) ?? []), resolve]));
    }
  }

  private release(fn: FunctionSpec, env: Environment) {
    env.busy = false;
    const next = this.waiters.get(fn.name)?.shift();
    next?.();
  }

  private log(fn: FunctionSpec): WriteStream {
    let stream = this.logs.get(fn.name);
    if (!stream) {
      stream = createWriteStream(path.join(this.options.workDir, "logs", `${fn.logicalId}.log`), { flags: "a" });
      this.logs.set(fn.name, stream);
    }
    return stream;
  }

  /** Starts one execution environment: the sandbox, then the runtime loading the handler. */
  private start(fn: FunctionSpec): Environment {
    const env: Record<string, string> = {
      ...fn.environment,
      ...this.options.platformEnv,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      LAMBDA_TASK_ROOT: "/var/task",
      LAMBDA_RUNTIME_DIR: "/var/runtime",
      _HANDLER: fn.handler,
      TZ: ":UTC",
      LANG: "en_US.UTF-8",
      PATH: "/usr/local/bin:/usr/bin:/bin:/opt/bin",
      LD_LIBRARY_PATH: "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
      NODE_PATH: "/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules",
    };
    // The layer directories are extracted into /opt in order; with one layer it is mounted as it is.
    const optDir = fn.layerDirs.length === 1 ? fn.layerDirs[0]! : mergeLayers(fn, this.options.workDir);
    const script = [
      "set -e",
      'mount --bind "$1" /var/task && mount -o remount,bind,ro /var/task',
      'mount --bind "$2" /var/runtime',
      '[ -n "$3" ] && mount --bind "$3" /opt && mount -o remount,bind,ro /opt',
      `mount -t tmpfs -o size=${fn.ephemeralMb}m,mode=1777 tmpfs /tmp`,
      "cd /var/task",
      `exec setpriv --reuid=${SANDBOX_UID} --regid=${SANDBOX_GID} --clear-groups -- "$4" /var/runtime/bootstrap.mjs`,
    ].join("\n");
    const child = spawn(
      "unshare",
      ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sandbox", fn.codeDir, this.bootstrapDir, optDir ?? "", process.execPath],
      { env, stdio: ["ignore", "pipe", "pipe", "ipc"] },
    );
    const out = this.log(fn);
    child.stdout!.on("data", (d: Buffer) => out.write(d));
    child.stderr!.on("data", (d: Buffer) => out.write(d));
    const environment: Environment = { child, busy: false, dead: false, ready: Promise.resolve() };
    environment.ready = new Promise<void>((resolve, reject) => {
      child.once("message", (m: any) => (m?.type === "ready" ? resolve() : reject(new Error("unexpected first message"))));
      child.once("exit", (code, signal) => reject(new Error(`the runtime exited during init (${signal ?? `code ${code}`}); see logs/${fn.logicalId}.log`)));
    });
    environment.ready.catch(() => undefined);
    child.on("message", (m: any) => {
      const p = environment.pending;
      if (m?.type !== "result" || !p || p.id !== m.id) return;
      environment.pending = undefined;
      clearTimeout(p.timer);
      const ms = Date.now() - p.started;
      if (m.ok) p.resolve({ ok: true, result: m.result, ms });
      else {
        // An init error discards the environment, as Lambda does.
        if (m.init) this.discard(environment);
        p.resolve({ ok: false, errorType: m.error.errorType, errorMessage: m.error.errorMessage, ms, timedOut: false });
      }
    });
    child.on("exit", (code, signal) => {
      environment.dead = true;
      const p = environment.pending;
      if (p) {
        environment.pending = undefined;
        clearTimeout(p.timer);
        p.resolve({ ok: false, errorType: "Runtime.ExitError", errorMessage: `RequestId: ${p.id} Error: Runtime exited (${signal ?? `code ${code}`})`, ms: Date.now() - p.started, timedOut: false });
      }
    });
    return environment;
  }

  private discard(env: Environment) {
    env.dead = true;
    if (env.child.exitCode === null) env.child.kill("SIGKILL");
  }

  private async run(fn: FunctionSpec, env: Environment, event: unknown): Promise<InvokeOutcome> {
    const initStarted = Date.now();
    try {
      await env.ready;
    } catch (error) {
      this.discard(env);
      this.release(fn, env);
      return { ok: false, errorType: "Runtime.InitError", errorMessage: (error as Error).message, ms: Date.now() - initStarted, timedOut: false };
    }
    // The invocation's clock starts once init is over, for the harness's timer and the function's own
    // deadline (context.getRemainingTimeInMillis) alike, as in Lambda.
    const started = Date.now();
    const timeoutMs = this.timeoutMs(fn);
    const id = randomUUID();
    const outcome = await new Promise<InvokeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        // Lambda stops the environment at the timeout: nothing after this point runs.
        env.pending = undefined;
        this.discard(env);
        resolve({ ok: false, errorType: "Sandbox.Timedout", errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, ms: Date.now() - started, timedOut: true });
      }, timeoutMs);
      env.pending = { id, resolve, started, timer };
      env.child.send({
        type: "invoke", id, event, deadline: started + timeoutMs, requestId: id,
        functionName: fn.name, functionArn: fn.arn, memory: fn.memoryMb,
      });
    });
    this.durations.set(fn.logicalId, [...(this.durations.get(fn.logicalId) ?? []), outcome.ms]);
    this.log(fn).write(`REPORT RequestId: ${id} Duration: ${outcome.ms} ms ${outcome.ok ? "" : `${outcome.errorType}: ${outcome.errorMessage}`}\n`);
    this.release(fn, env);
    return outcome;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const pool of this.pools.values()) for (const env of pool) this.discard(env);
    for (const waiters of this.waiters.values()) waiters.forEach((w) => w());
    await Promise.all([...this.logs.values()].map((s) => new Promise<void>((r) => s.end(r))));
  }
}

/** Several layers: extracted in order into one directory (hard links keep the staged files' modes). */
function mergeLayers(fn: FunctionSpec, workDir: string): string | undefined {
  if (!fn.layerDirs.length) return undefined;
  const dir = path.join(workDir, "layers", fn.logicalId);
  mkdirSync(dir, { recursive: true });
  for (const layer of fn.layerDirs) {
    const r = spawnSyncChecked("cp", ["-al", "--remove-destination", `${layer}/.`, dir]);
    if (r) throw new Error(`merging layers of ${fn.logicalId}: ${r}`);
  }
  return dir;
}

function spawnSyncChecked(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.status === 0 ? undefined : r.stderr || `exit ${r.status}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The runtime's source, written next to the sandboxes (it is mounted at /var/runtime). */
function BOOTSTRAP_SOURCE(): string {
  return readFileSync(new URL("./lambda-bootstrap.mjs", import.meta.url), "utf8");
}
