// Reading an MJPEG stream (multipart/x-mixed-replace) from a fetch body: an <img src> cannot
// send the Authorization header, so the SPA fetches the stream and shows each JPEG itself.

const CRLFCRLF = [13, 10, 13, 10];
/** A part larger than this is refused: the access service's frame limit is 1 MiB. */
export const MAX_BUFFER = 4 * 1024 * 1024;

function indexOf(haystack: Uint8Array, needle: ArrayLike<number>, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i += 1) {
    for (let j = 0; j < needle.length; j += 1) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The boundary of a `multipart/x-mixed-replace; boundary=...` content type, else null. */
export function boundaryOf(contentType: string | null): string | null {
  const match = /boundary="?([^";]+)"?/i.exec(contentType || "");
  return match ? match[1] : null;
}

/**
 * Feed it chunks as they arrive; it returns the JPEG frames completed so far. Parts carry a
 * Content-Length (the access service always sends one); without it a part ends at the next
 * boundary.
 */
export class MjpegParser {
  private buffer = new Uint8Array(0);
  private readonly delimiter: Uint8Array;

  constructor(boundary: string) {
    this.delimiter = new TextEncoder().encode(`--${boundary}`);
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    this.buffer = joined;
    const frames: Uint8Array[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) break;
      frames.push(frame);
    }
    if (this.buffer.length > MAX_BUFFER) throw new Error("MJPEG part too large");
    return frames;
  }

  private next(): Uint8Array | null {
    const start = indexOf(this.buffer, this.delimiter);
    if (start < 0) return null;
    const headEnd = indexOf(this.buffer, CRLFCRLF, start);
    if (headEnd < 0) return null;
    const head = new TextDecoder().decode(this.buffer.subarray(start, headEnd));
    const body = headEnd + CRLFCRLF.length;
    const length = /content-length:\s*(\d+)/i.exec(head);
    let end: number;
    let rest: number;
    if (length) {
      if (Number(length[1]) > MAX_BUFFER) throw new Error("MJPEG part too large");
      end = body + Number(length[1]);
      if (this.buffer.length < end) return null;
      rest = end;
    } else {
      const following = indexOf(this.buffer, this.delimiter, body);
      if (following < 0) return null;
      end = following;
      while (end > body && (this.buffer[end - 1] === 10 || this.buffer[end - 1] === 13)) end -= 1;
      rest = following;
    }
    const frame = this.buffer.slice(body, end);
    this.buffer = this.buffer.slice(rest);
    return frame;
  }
}
