// The executable's standard output or error, written straight to the file descriptor: process.stdout and
// process.stderr load Node's streams, about 4 ms of a hook's start-up, where tincd forwards nothing until the
// hook returns. The writes block until the reader takes them, as ip's do and as Node's own stdout does on
// Linux. A write the descriptor refuses (EAGAIN where it is non-blocking, EPIPE) is handed to the stream, which
// handles it as it always did (waiting for the reader, ending quietly when it has gone); from then on
// everything goes through the stream, so the order holds.
import { writeSync } from 'node:fs';

export class StdOutput {
  #stream: NodeJS.WriteStream | undefined;

  /** `open` makes the stream (process.stdout, say), once, when it is first needed. */
  constructor(
    private readonly fd: number,
    private readonly open: () => NodeJS.WriteStream,
  ) {}

  line(text: string): void {
    this.#send(`${text}\n`);
  }

  /** Resolves when the reader is ready for more. */
  write(text: string): Promise<void> {
    return this.#send(text) ? Promise.resolve() : new Promise((resolve) => this.#stream!.once('drain', resolve));
  }

  /** Resolves when what was written is out. */
  flushed(): Promise<void> {
    const stream = this.#stream;
    return stream ? new Promise((resolve) => stream.write('', () => resolve())) : Promise.resolve();
  }

  /** Whether the reader is ready for more. */
  #send(text: string): boolean {
    if (this.#stream) return this.#stream.write(text);
    const bytes = Buffer.from(text);
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(this.fd, bytes, done);
      return true;
    } catch {
      this.#stream = this.open();
      return this.#stream.write(bytes.subarray(done));
    }
  }
}
