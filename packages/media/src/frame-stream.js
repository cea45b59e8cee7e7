import { readdir, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
/** How often a running pass is checked for frames it has finished writing. */
const POLL_MS = 100;
/**
 * The model-size frames of one running pass, fanned out to the vision engines as ffmpeg writes them.
 *
 * ffmpeg writes `000001.ppm`, `000002.ppm`, … with `-atomic_writing` (a temporary name, then a
 * rename), so a file under its final name is complete. Only the file names are polled here; the
 * engines read the pixels themselves, in their own threads, so a busy main thread never holds ffmpeg up.
 *
 * Files are raw pixels (~440 KB each at 512×288) and exist only to be read once per consumer: a file is
 * deleted as soon as every consumer the source was set up for has released it, and whatever is left
 * when the pass has ended and no subscription still needs it, so the disk holds only the frames decoded
 * ahead of the slowest engine. A consumer that subscribes after the pass ended gets nothing and reads
 * the FrameSet's JPEGs instead.
 */
export class PixelFanout {
    dir;
    consumers;
    produced = 0;
    ended = false;
    scanning;
    timer;
    state = new Map();
    deleted = new Set();
    waiters = [];
    removed = false;
    constructor(dir, consumers) {
        this.dir = dir;
        this.consumers = consumers;
    }
    /** The PPM file of frame `index` (0-based; ffmpeg numbers its files from 1). */
    pathOf(index) {
        return join(this.dir, `${String(index + 1).padStart(6, "0")}.ppm`);
    }
    /** Starts watching for new frames while ffmpeg runs. */
    start() {
        this.timer = setInterval(() => void this.scan(), POLL_MS);
        this.timer.unref();
    }
    /**
     * The pass is over (either way): every written frame is known, subscriptions end once they have
     * seen them all. Returns how many frames were written.
     */
    async end() {
        if (this.timer)
            clearInterval(this.timer);
        await this.scan();
        this.ended = true;
        this.notify();
        await this.collect();
        return this.produced;
    }
    /** Frames as they are written, from the first, for one consumer; ends when the pass has ended. */
    async *subscribe(consumer) {
        if (this.ended)
            return;
        const me = this.consumer(consumer);
        me.active += 1;
        try {
            let next = 0;
            for (;;) {
                while (next < this.produced) {
                    const index = next++;
                    if (me.released.has(index) || this.deleted.has(index))
                        continue;
                    me.held.add(index);
                    yield { index, path: this.pathOf(index), release: () => this.release(consumer, index) };
                }
                if (this.ended)
                    return;
                await new Promise((resolve) => this.waiters.push(resolve));
            }
        }
        finally {
            me.active -= 1;
            void this.collect();
        }
    }
    consumer(name) {
        let s = this.state.get(name);
        if (!s)
            this.state.set(name, (s = { active: 0, held: new Set(), released: new Set() }));
        return s;
    }
    release(consumer, index) {
        const me = this.consumer(consumer);
        me.held.delete(index);
        me.released.add(index);
        if (this.consumers.every((c) => this.state.get(c)?.released.has(index)))
            this.delete(index);
        if (this.ended)
            void this.collect();
    }
    delete(index) {
        if (this.deleted.has(index))
            return;
        this.deleted.add(index);
        rm(this.pathOf(index), { force: true }).catch(() => undefined);
    }
    /** After the pass: drops every frame no open subscription still needs, then the directory. */
    async collect() {
        if (!this.ended || this.removed)
            return;
        const needed = (i) => [...this.state.values()].some((s) => s.held.has(i) || (s.active > 0 && !s.released.has(i)));
        for (let i = 0; i < this.produced; i++)
            if (!needed(i))
                this.delete(i);
        const busy = [...this.state.values()].some((s) => s.active > 0 || s.held.size > 0);
        if (!busy) {
            this.removed = true;
            await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
        }
    }
    scan() {
        this.scanning ??= (async () => {
            const before = this.produced;
            while (await exists(this.pathOf(this.produced)))
                this.produced += 1;
            if (this.produced > before)
                this.notify();
        })().finally(() => (this.scanning = undefined));
        return this.scanning;
    }
    notify() {
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters)
            w();
    }
}
async function exists(path) {
    try {
        await stat(path);
        return true;
    }
    catch {
        return false;
    }
}
/**
 * Removes pixel directories a killed process left beside `finalDir` (`<name>.raw-<pid>-<hex>`), unless
 * their process is still alive.
 */
export async function removeStalePixelDirs(finalDir) {
    const prefix = `${basename(finalDir)}.raw-`;
    const entries = await readdir(dirname(finalDir)).catch(() => []);
    for (const entry of entries) {
        if (!entry.startsWith(prefix))
            continue;
        const pid = Number(entry.slice(prefix.length).split("-")[0]);
        if (pid === process.pid || isAlive(pid))
            continue;
        await rm(join(dirname(finalDir), entry), { recursive: true, force: true }).catch(() => undefined);
    }
}
function isAlive(pid) {
    if (!Number.isInteger(pid) || pid <= 0)
        return false;
    try {
        process.kill(pid, 0);
        return true;
    }
    catch (error) {
        return error.code === "EPERM";
    }
}
//# sourceMappingURL=frame-stream.js.map