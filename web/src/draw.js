// Drawing a box (drag) or a polygon (click the vertices, double-click or click the first vertex
// to finish) on the map with MapLibre's own events; Escape cancels. The finished shape is handed
// to `onDone` in map coordinates: {kind: 'box', bbox: [w, s, e, n]} or {kind: 'polygon',
// ring: [[lon, lat], …, first]}.
export class DrawTool {
  constructor(map, onDone) {
    this.map = map;
    this.onDone = onDone;
    this.mode = null;
    this.start = null;
    this.ring = [];
    this.cursor = null;
    this._down = (e) => this.mouseDown(e);
    this._move = (e) => this.mouseMove(e);
    this._up = (e) => this.mouseUp(e);
    this._click = (e) => this.click(e);
    this._dblclick = (e) => this.dblclick(e);
    this._key = (e) => e.key === 'Escape' && this.cancel();
  }

  /// Starts drawing 'box' or 'polygon' (any drawing under way is dropped).
  begin(mode) {
    this.cancel();
    this.mode = mode;
    const m = this.map;
    m.getCanvas().style.cursor = 'crosshair';
    if (mode === 'box') {
      m.dragPan.disable();
      m.boxZoom.disable();
      m.on('mousedown', this._down);
    } else {
      m.doubleClickZoom.disable();
      m.on('click', this._click);
      m.on('dblclick', this._dblclick);
    }
    m.on('mousemove', this._move);
    window.addEventListener('keydown', this._key);
  }

  cancel() {
    if (!this.mode) return;
    const m = this.map;
    m.off('mousedown', this._down);
    m.off('mousemove', this._move);
    m.off('click', this._click);
    m.off('dblclick', this._dblclick);
    window.removeEventListener('keydown', this._key);
    window.removeEventListener('mouseup', this._up);
    m.dragPan.enable();
    m.boxZoom.enable();
    // Re-enabled after the double-click that finished a polygon has been seen.
    setTimeout(() => m.doubleClickZoom.enable(), 0);
    m.getCanvas().style.cursor = '';
    this.mode = null;
    this.start = null;
    this.ring = [];
    this.render();
  }

  mouseDown(e) {
    if (e.originalEvent.button !== 0) return;
    e.preventDefault();
    this.start = e.lngLat.toArray();
    this.cursor = this.start;
    window.addEventListener('mouseup', this._up, { once: true });
  }

  mouseMove(e) {
    this.cursor = e.lngLat.toArray();
    if (this.mode === 'box' && this.start) this.render();
    if (this.mode === 'polygon' && this.ring.length) this.render();
  }

  mouseUp(e) {
    if (!this.start) return;
    const rect = this.map.getCanvas().getBoundingClientRect();
    const end = this.map.unproject([e.clientX - rect.left, e.clientY - rect.top]).toArray();
    const [x0, y0] = this.start;
    const [x1, y1] = end;
    this.start = null;
    const bbox = [Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)];
    this.cancel();
    if (bbox[2] - bbox[0] > 0 && bbox[3] - bbox[1] > 0) this.onDone({ kind: 'box', bbox });
  }

  click(e) {
    const p = e.lngLat.toArray();
    if (this.ring.length >= 3) {
      const first = this.map.project(this.ring[0]);
      if (Math.hypot(first.x - e.point.x, first.y - e.point.y) < 8) return this.finishPolygon();
    }
    this.ring.push(p);
    this.render();
  }

  dblclick(e) {
    e.preventDefault();
    // The double-click's two clicks each added the same point: drop the repeat.
    const last = this.ring[this.ring.length - 1];
    const prev = this.ring[this.ring.length - 2];
    if (last && prev && last[0] === prev[0] && last[1] === prev[1]) this.ring.pop();
    this.finishPolygon();
  }

  finishPolygon() {
    const ring = this.ring.slice();
    this.cancel();
    if (ring.length >= 3) this.onDone({ kind: 'polygon', ring: [...ring, ring[0]] });
  }

  render() {
    const features = [];
    if (this.mode === 'box' && this.start && this.cursor) {
      const [x0, y0] = this.start;
      const [x1, y1] = this.cursor;
      features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] } });
    }
    if (this.mode === 'polygon' && this.ring.length) {
      const line = this.cursor ? [...this.ring, this.cursor] : this.ring;
      if (line.length >= 3) features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...line, line[0]]] } });
      else features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: line } });
      for (const p of this.ring) features.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } });
    }
    this.map.getSource('draw')?.setData({ type: 'FeatureCollection', features });
  }
}
