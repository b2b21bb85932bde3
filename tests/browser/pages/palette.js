// The colours both pages paint with, shared with run.mjs's pixel checks. Every layer has its own
// opaque colour, so that a colour's pixels on the canvas show that the layer was drawn.
export const BACKGROUND = '#eef0e6';

export const COLOURS = {
  'grids.grid': '#cfe3c0', // fill of the finest grids (their outlines are GRID_OUTLINE)
  'grids.village': '#5f8a4c', // village boundaries
  'grids.town': '#1f3d2b', // town boundaries, the widest lines
  households: '#2f6fde',
  enterprises: '#f08c00',
  incidents: '#d7263d',
};

export const GRID_OUTLINE = '#a5c194';

// Point layers in drawing order (later on top), with the circle radius in pixels of a single
// point and of a cluster of maxCount or more; a cluster's radius grows with the square root of
// its count. Households, the most numerous, get the largest discs so that the other layers'
// clusters, which sit at nearly the same places, leave a ring of them visible.
export const POINT_LAYERS = [
  { name: 'households', radius: 2, maxRadius: 11, maxCount: 300 },
  { name: 'enterprises', radius: 2, maxRadius: 6, maxCount: 60 },
  { name: 'incidents', radius: 2, maxRadius: 5, maxCount: 120 },
];

export const GRID_LAYERS = ['grids.town', 'grids.village', 'grids.grid'];
