import { describe, expect, it } from "vitest";
import { chartFile, pngScale, wantsPng } from "./simulate-chart.js";

const svg =
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40"><rect x="10" y="10" width="50" height="20" fill="#c00"/></svg>';

/** Width and height from a PNG's IHDR chunk (bytes 16-23, big-endian). */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

describe("simulate --chart file", () => {
  it("writes SVG text unless the name ends in .png", async () => {
    // issue 7: a chart of latency against load, SVG or PNG.
    expect(wantsPng("load.svg")).toBe(false);
    expect(wantsPng("LOAD.PNG")).toBe(true);
    expect(await chartFile("load.svg", svg)).toBe(svg);
  });

  it("rasterises the SVG to a PNG at twice its size", async () => {
    const png = await chartFile("load.png", svg);
    expect(png).toBeInstanceOf(Uint8Array);
    const bytes = png as Uint8Array;
    // The PNG signature: 137 80 78 71 13 10 26 10.
    expect([...bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(pngSize(bytes)).toEqual({ width: 120 * pngScale, height: 40 * pngScale });
  });

  it("refuses what is not SVG", async () => {
    await expect(chartFile("x.png", "not svg")).rejects.toThrow();
  });
});
