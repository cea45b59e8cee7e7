// The harness's stand-in for the Lambda Node.js runtime, run inside the function's sandbox as a
// non-root user with the asset at /var/task and the layers at /opt. It loads the handler named by
// _HANDLER as Lambda does (`<file>.<export>`, the file tried as .mjs, .js, .cjs) and answers the
// harness's invocations over the IPC channel, one at a time, like one Lambda execution environment.
// Plain JavaScript on purpose: it runs with the function's own node and nothing of the repository.
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const taskRoot = process.env.LAMBDA_TASK_ROOT ?? "/var/task";
const spec = process.env._HANDLER ?? "";
const dot = spec.lastIndexOf(".");
const modulePath = spec.slice(0, dot);
const exportName = spec.slice(dot + 1);

async function load() {
  for (const ext of [".mjs", ".js", ".cjs"]) {
    const file = path.join(taskRoot, modulePath + ext);
    if (existsSync(file)) {
      const mod = await import(pathToFileURL(file).href);
      const fn = mod[exportName] ?? mod.default?.[exportName];
      if (typeof fn !== "function") throw Object.assign(new Error(`${spec} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
      return fn;
    }
  }
  throw Object.assign(new Error(`Cannot find module '${modulePath}'`), { name: "Runtime.ImportModuleError" });
}

const handlerPromise = load();
// An init error is reported for every invocation, as Lambda reports it (and the environment is discarded).
handlerPromise.catch(() => undefined);

function describe(error) {
  return {
    errorType: error?.name ?? "Error",
    errorMessage: error?.message ?? String(error),
    trace: String(error?.stack ?? "").split("\n"),
  };
}

process.on("message", async (message) => {
  if (message?.type !== "invoke") return;
  const { id, event, deadline, requestId, functionName, functionArn, memory } = message;
  const context = {
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(memory),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `harness/${process.pid}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let handler;
  try {
    handler = await handlerPromise;
  } catch (error) {
    process.send({ type: "result", id, ok: false, init: true, error: describe(error) });
    return;
  }
  try {
    const result = await handler(event, context);
    process.send({ type: "result", id, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    process.send({ type: "result", id, ok: false, error: describe(error) });
  }
});
// Lambda's init phase (loading the module and its top-level code) is not part of an invocation's
// timeout: it has its own 10 s, after which what is left of it runs within the first invocation's time.
// So the harness invokes (and starts the invocation's clock) once the module is loaded, or at 10 s.
const INIT_LIMIT_MS = 10_000;
Promise.race([handlerPromise.then(() => undefined, () => undefined), new Promise((resolve) => setTimeout(resolve, INIT_LIMIT_MS))])
  .then(() => process.send({ type: "ready" }));
