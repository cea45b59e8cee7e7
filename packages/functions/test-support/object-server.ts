import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * For tests with a mocked S3 client: the objects behind the mock served over HTTP on loopback, path
 * style (`/<bucket>/<key>`), with Range requests, so ffmpeg and ffprobe can read the presigned URLs the
 * functions hand them. Point the S3 client at `endpoint` with `forcePathStyle: true`: its presigned
 * URLs then name this server (signatures are not checked), and every other call still goes to the mock.
 * It counts what it serves, so a test can tell a ranged read from a whole download.
 */
export interface ObjectServer {
  endpoint: string;
  /** Bytes sent per object (`bucket/key`). */
  served: Map<string, number>;
  /** GET requests per object: a reader opening it again shows here. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

export async function startObjectServer(objects: Map<string, { body: Buffer }>): Promise<ObjectServer> {
  const served = new Map<string, number>();
  const requests = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const key = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname.slice(1));
    const found = objects.get(key);
    if (!found || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(found ? 405 : 404).end();
      return;
    }
    const size = found.body.length;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    let start = 0;
    let end = size - 1;
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(size - 1, Number(range[2])) : size - 1;
      if (start >= size) {
        res.writeHead(416, { "Content-Range": `bytes */${size}` }).end();
        return;
      }
    }
    const body = found.body.subarray(start, end + 1);
    res.writeHead(range ? 206 : 200, {
      "Accept-Ranges": "bytes", "Content-Length": body.length,
      ...(range ? { "Content-Range": `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === "HEAD") return void res.end();
    served.set(key, (served.get(key) ?? 0) + body.length);
    requests.set(key, (requests.get(key) ?? 0) + 1);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    served,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
