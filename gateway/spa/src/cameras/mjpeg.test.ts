import { describe, expect, it } from "vitest";
import { boundaryOf, MjpegParser } from "./mjpeg";

const encoder = new TextEncoder();
const jpeg = (n: number) => new Uint8Array([0xff, 0xd8, n, 13, 10, 13, 10, 0xff, 0xd9]);

function part(frame: Uint8Array, withLength = true): Uint8Array {
  const head = encoder.encode(`--camwatchview\r\nContent-Type: image/jpeg\r\n${withLength ? `Content-Length: ${frame.length}\r\n` : ""}\r\n`);
  const out = new Uint8Array(head.length + frame.length + 2);
  out.set(head);
  out.set(frame, head.length);
  out.set([13, 10], head.length + frame.length);
  return out;
}

describe("MjpegParser", () => {
  it("returns each frame once complete, whatever the chunking", () => {
    const stream = new Uint8Array([...part(jpeg(1)), ...part(jpeg(2)), ...part(jpeg(3))]);
    const parser = new MjpegParser("camwatchview");
    const frames: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += 7) frames.push(...parser.push(stream.subarray(i, i + 7)));
    expect(frames).toEqual([jpeg(1), jpeg(2), jpeg(3)]);
  });

  it("ends a part without Content-Length at the next boundary", () => {
    const parser = new MjpegParser("camwatchview");
    expect(parser.push(new Uint8Array([...part(jpeg(1), false)]))).toEqual([]);
    expect(parser.push(new Uint8Array([...part(jpeg(2), false)]))).toEqual([jpeg(1)]);
  });

  it("refuses a part larger than the limit", () => {
    const declared = new MjpegParser("camwatchview");
    expect(() => declared.push(encoder.encode("--camwatchview\r\nContent-Length: 99999999\r\n\r\n"))).toThrow();
    const endless = new MjpegParser("camwatchview");
    endless.push(encoder.encode("--camwatchview\r\n\r\n"));
    expect(() => endless.push(new Uint8Array(5 * 1024 * 1024))).toThrow();
  });
});

describe("boundaryOf", () => {
  it("reads the boundary, quoted or not", () => {
    expect(boundaryOf("multipart/x-mixed-replace; boundary=camwatchview")).toBe("camwatchview");
    expect(boundaryOf('multipart/x-mixed-replace;boundary="b1"')).toBe("b1");
    expect(boundaryOf("image/jpeg")).toBeNull();
  });
});
