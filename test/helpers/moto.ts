import { execFileSync, spawn } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";

/**
 * A `moto_server` (the AWS emulator) started for one test file, on 127.0.0.1 and a free port.
 * What moto emulates, per service: https://docs.getmoto.org/en/latest/docs/services/index.html
 */
export interface Moto {
  endpoint: string;
  /** What every SDK client needs against it; S3 also needs `forcePathStyle: true`. */
  clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    maxAttempts: number;
  };
  account: string;
  region: string;
  stop(): Promise<void>;
}

const REGION = "us-east-1";
/** moto_server, DynamoDB made atomic. */
const MOTO_SERVER = new URL("./moto-server.py", import.meta.url).pathname;
/** moto's default account. */
const ACCOUNT = "123456789012";

/** The executable's full path, or undefined when no directory on PATH has it. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The Python that runs moto_server: the interpreter on its `#!` line, looking through a pyenv shim
 * (a bash script) to the version's own script. moto-server.py must import the same moto.
 */
function motoPython(bin: string): string {
  let script = bin;
  const head = (file: string) => readFileSync(file, "utf8").slice(0, 400).split("\n")[0] ?? "";
  if (/bash/.test(head(script)) && readFileSync(script, "utf8").includes("pyenv")) {
    script = execFileSync("pyenv", ["which", "moto_server"], { encoding: "utf8" }).trim();
  }
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(head(script));
  if (shebang && /python/.test(shebang[1]!)) return shebang[1]!;
  if (shebang?.[2] && /python/.test(shebang[2])) return findOnPath(shebang[2]) ?? shebang[2];
  const python = findOnPath("python3");
  if (!python) throw new Error(`cannot tell which Python runs ${bin}, and python3 is not on PATH`);
  return python;
}

/**
 * Starts moto_server and waits until it answers. Throws, never skips, when moto_server is not on PATH:
 * a missing emulator must fail the run, not quietly drop the cloud wiring tests.
 */
export async function startMoto({ readyTimeoutMs = 30_000 } = {}): Promise<Moto> {
  const bin = findOnPath("moto_server");
  if (!bin) {
    throw new Error(
      "moto_server is not on PATH. The emulator tests need moto 5.2.x's server " +
        "(pip install 'moto[server]==5.2.1', or the machine image's Python); they are never skipped.",
    );
  }
  const python = motoPython(bin);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // moto's server with DynamoDB requests run one at a time, as DynamoDB's conditional writes are
  // atomic (moto-server.py says why). Its own process group, so stop() ends it and nothing else.
  const child = spawn(python, [MOTO_SERVER, "127.0.0.1", String(port)], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = `exited with ${signal ?? `code ${code}`}`;
      resolve();
    }),
  );
  child.once("error", (error) => {
    exited = `failed to start: ${error.message}`;
  });

  const stop = async () => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      if (!exited && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    }, 5_000);
    await exit;
    clearTimeout(timer);
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) throw new Error(`moto_server (${bin}) ${exited} before it was ready:\n${output}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} within ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }

  return {
    endpoint,
    account: ACCOUNT,
    region: REGION,
    clientConfig: {
      endpoint,
      region: REGION,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
      maxAttempts: 1,
    },
    stop,
  };
}
