/**
 * The file `servingkit simulate --chart FILE` writes: the sweep chart as SVG text, or, for a
 * name ending in `.png`, the same SVG rasterised to PNG by resvg (`@resvg/resvg-js`, prebuilt
 * from the npm registry). resvg is loaded only when a PNG is asked for, so a CLI run without one
 * never loads its native module.
 */

/** Pixels per SVG unit in a PNG chart: 2, so the 720-unit-wide chart is a 1,440-pixel image. */
export const pngScale = 2;

/** Whether `path` asks for a PNG (its name ends in `.png`, any case) rather than SVG. */
export function wantsPng(path: string): boolean {
  return /\.png$/i.test(path);
}

/**
 * The bytes to write for a chart at `path`: the SVG text itself, or a PNG of it on a white
 * background at {@link pngScale}× (text in the system's fonts; resvg falls back to any installed
 * font that has the glyphs when the SVG's family is missing).
 */
export async function chartFile(path: string, svg: string): Promise<string | Uint8Array> {
  if (!wantsPng(path)) return svg;
  const { Resvg } = await import("@resvg/resvg-js");
  const image = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: pngScale },
    font: { loadSystemFonts: true },
  });
  return image.render().asPng();
}
