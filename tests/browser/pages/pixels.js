// Pixel counts of a rendered map, computed in the page: how many pixels were painted at all
// (differ from the background, or are not transparent) and how many carry each layer's colour.
import { BACKGROUND, COLOURS } from './palette.js';

const TOLERANCE = 6; // per channel: blending and colour rounding move exact colours a little

function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function near(data, i, [r, g, b]) {
  return (
    Math.abs(data[i] - r) <= TOLERANCE &&
    Math.abs(data[i + 1] - g) <= TOLERANCE &&
    Math.abs(data[i + 2] - b) <= TOLERANCE
  );
}

/** Counts in a canvas (2d or WebGL, drawn onto a 2d canvas first): {total, painted, layers}. */
export function countPixels(canvases) {
  const first = canvases[0];
  const flat = document.createElement('canvas');
  flat.width = first.width;
  flat.height = first.height;
  const ctx = flat.getContext('2d', { willReadFrequently: true });
  for (const c of canvases) ctx.drawImage(c, 0, 0, flat.width, flat.height);
  const { data } = ctx.getImageData(0, 0, flat.width, flat.height);

  const background = rgb(BACKGROUND);
  const targets = Object.entries(COLOURS).map(([name, hex]) => [name, rgb(hex)]);
  const layers = Object.fromEntries(targets.map(([name]) => [name, 0]));
  let painted = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0 || near(data, i, background)) continue;
    ++painted;
    for (const [name, colour] of targets) {
      if (near(data, i, colour)) {
        ++layers[name];
        break;
      }
    }
  }
  return { total: data.length / 4, painted, layers };
}
