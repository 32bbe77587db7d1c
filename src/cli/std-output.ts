// The executable's standard output or error. A line goes straight to the file descriptor: process.stdout and
// process.stderr load Node's streams, about 4 ms of a hook's start-up, where tincd forwards nothing until the
// hook returns. Long output (`write`, a listing) takes the stream, for the reader's backpressure. Once the
// stream is up everything goes through it, so the order holds; a write the descriptor refuses (EAGAIN where
// it is non-blocking, EPIPE) is handed to the stream too, which handles it as it always did.
import { writeSync } from 'node:fs';

export class StdOutput {
  #stream: NodeJS.WriteStream | undefined;

  /** `open` makes the stream (process.stdout, say), once, when it is first needed. */
  constructor(
    private readonly fd: number,
    private readonly open: () => NodeJS.WriteStream,
  ) {}

  get stream(): NodeJS.WriteStream {
    return (this.#stream ??= this.open());
  }

  line(text: string): void {
    if (this.#stream) {
      this.#stream.write(`${text}\n`);
      return;
    }
    const bytes = Buffer.from(`${text}\n`);
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(this.fd, bytes, done);
    } catch {
      this.stream.write(bytes.subarray(done));
    }
  }

  /** Resolves when the reader is ready for more. */
  write(text: string): Promise<void> {
    const stream = this.stream;
    return new Promise((resolve) => (stream.write(text) ? resolve() : stream.once('drain', resolve)));
  }

  /** Resolves when what was written is out (a pipe takes 64 KiB at a time). */
  flushed(): Promise<void> {
    const stream = this.#stream;
    return stream ? new Promise((resolve) => stream.write('', () => resolve())) : Promise.resolve();
  }
}
