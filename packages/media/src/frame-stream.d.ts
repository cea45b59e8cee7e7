import type { StreamedFrame } from "./types.js";
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
export declare class PixelFanout {
    readonly dir: string;
    private readonly consumers;
    private produced;
    private ended;
    private scanning;
    private timer;
    private readonly state;
    private readonly deleted;
    private waiters;
    private removed;
    constructor(dir: string, consumers: readonly string[]);
    /** The PPM file of frame `index` (0-based; ffmpeg numbers its files from 1). */
    pathOf(index: number): string;
    /** Starts watching for new frames while ffmpeg runs. */
    start(): void;
    /**
     * The pass is over (either way): every written frame is known, subscriptions end once they have
     * seen them all. Returns how many frames were written.
     */
    end(): Promise<number>;
    /** Frames as they are written, from the first, for one consumer; ends when the pass has ended. */
    subscribe(consumer: string): AsyncGenerator<StreamedFrame>;
    private consumer;
    private release;
    private delete;
    /** After the pass: drops every frame no open subscription still needs, then the directory. */
    private collect;
    private scan;
    private notify;
}
/**
 * Removes pixel directories a killed process left beside `finalDir` (`<name>.raw-<pid>-<hex>`), unless
 * their process is still alive.
 */
export declare function removeStalePixelDirs(finalDir: string): Promise<void>;
//# sourceMappingURL=frame-stream.d.ts.map