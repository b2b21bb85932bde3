#!/usr/bin/env python3
"""QGIS 3.22 (Debian's python3-qgis, headless) as a real client of `onemap serve`.

Usage: qgis_client_test.py ONEMAP_BINARY SOURCE_DIR

Builds a small demo county with `onemap demo`, serves it on a free loopback port and, in QGIS:
  - adds every collection with the OAPIF provider, signed out and then as the administrator (a
    bearer token, which QGIS 3.22 sends only through a request preprocessor: it has no such
    authentication method), and checks each feature count against the store file read with
    sqlite3: signed out, the public's (no sensitive incident, no staff layer); signed in, all;
  - adds the Web Mercator vector tiles as an XYZ layer from the TileJSON's template and zooms,
    and again from the OGC API - Tiles tileset's template ({tileMatrix}/{tileRow}/{tileCol} as
    {z}/{y}/{x}), renders the county's extent with QgsMapRendererParallelJob and checks each PNG
    shows the county (drawn inside its box, nothing outside) and that both are the same image;
  - renders the same tiles in a CGCS2000 (EPSG:4490) map;
  - converts onemap's MapLibre style (/style.json) with QGIS's QgsMapBoxGlStyleConverter and
    renders the county layers with it (qgis_client-style.png);
  - edits a county layer with OGC API - Features Part 4 (a PATCH with If-Match, a stale one
    refused, a POST, a DELETE) and reads each edit back through QGIS's OAPIF provider, which in
    QGIS 3.22 cannot edit itself (its editing arrived in 3.32).
QGIS 3.22 cannot draw onemap's CGCS2000 tiles themselves (README "Connect QGIS"). The PNGs are
written to the working directory (qgis_client-*.png), onemap's log to qgis_client-onemap.log.

Exit status: 0 passed, 1 failed, 77 skipped (python3-qgis missing outside CI; in CI a failure).
"""
import csv
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SKIP = 77
failures = []


def check(ok, what, detail=""):
    print(("ok   " if ok else "FAIL ") + what + (f" ({detail})" if detail else ""), flush=True)
    if not ok:
        failures.append(what)


class Onemap:
    """`onemap serve` on a free loopback port; its stderr (JSON lines) kept and written out."""

    def __init__(self, binary, store, args, log_path):
        self.log_path = log_path
        self.lines = []
        self.process = subprocess.Popen(
            [binary, "serve", "--data", store, "--address", "127.0.0.1", "--port", "0",
             "--threads", "2", "--sweep-interval", "0", *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.url = None
        listening = threading.Event()

        def read():
            for line in self.process.stderr:
                self.lines.append(line.rstrip("\n"))
                try:
                    msg = json.loads(line).get("msg", "")
                except ValueError:
                    continue
                if msg.startswith("listening on "):
                    self.url = msg.split()[2]
                    listening.set()
            listening.set()

        threading.Thread(target=read, daemon=True).start()
        if not listening.wait(60) or not self.url:
            self.stop()
            raise RuntimeError("onemap serve did not listen:\n" + "\n".join(self.lines))

    def requests(self):
        out = []
        for line in self.lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if "path" in entry:
                out.append(entry)
        return out

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)
        with open(self.log_path, "w") as f:
            f.write("\n".join(self.lines) + "\n")


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def store_oracle(store, source_dir):
    """Feature counts per layer of the store file, the incidents the public sees (those of a
    category that data/categories.csv does not mark visibility=counts) and each county layer's
    audience (its definition)."""
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    tables = [r[0] for r in db.execute(
        "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")]
    counts = {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    with open(os.path.join(source_dir, "data", "categories.csv"), newline="") as f:
        counted = {row["code"] for row in csv.DictReader(f) if row["visibility"] == "counts"}
    marks = ",".join("?" * len(counted)) or "''"
    public_incidents = db.execute(
        f"SELECT COUNT(*) FROM incidents WHERE category NOT IN ({marks})", sorted(counted)
    ).fetchone()[0]
    audiences = {name: json.loads(definition)["audience"]
                 for name, definition in db.execute("SELECT name, definition FROM onemap_layers")}
    db.close()
    return counts, public_incidents, audiences


def client_checks(base, token, store, counts, public_incidents, county_layer_audiences, server):
    """Everything QGIS does; its objects die with this frame, before QGIS exits (QGIS objects
    destroyed after exitQgis() crash the interpreter at its end)."""
    from qgis.core import (QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsDataSourceUri,
                           QgsFillSymbol, QgsMapBoxGlStyleConverter, QgsMapRendererParallelJob,
                           QgsMapSettings, QgsMarkerSymbol, QgsNetworkAccessManager, QgsPointXY,
                           QgsProject, QgsRectangle, QgsVectorLayer, QgsVectorTileBasicRenderer,
                           QgsVectorTileBasicRendererStyle, QgsVectorTileLayer, QgsWkbTypes)
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    # ---- OGC API - Features: every collection, its count against the store
    collections = [c["id"] for c in get_json(base + "/collections")["collections"]]
    # Who may read each: the five as the read policy says (/layers), a county layer as its
    # definition in the store says.
    audiences = {l["name"]: l["audience"] for l in get_json(base + "/layers")}
    audiences.update(county_layer_audiences)
    check(sorted(collections) == sorted(counts), "the collections are the store's layers",
          f"{sorted(collections)} vs {sorted(counts)}")

    def oapif_count(collection):
        uri = QgsDataSourceUri()
        uri.setParam("url", base)
        uri.setParam("typename", collection)
        layer = QgsVectorLayer(uri.uri(False), collection, "OAPIF")
        return sum(1 for _ in layer.getFeatures()) if layer.isValid() else None

    for c in collections:
        got = oapif_count(c)
        if c == "incidents":
            want = public_incidents
        elif audiences[c] != "public":
            want = None  # a staff layer: refused (401), so QGIS has no layer at all
        else:
            want = counts[c]
        check(got == want, f"signed out, OAPIF {c}: the public's features", f"{got} vs {want}")

    # QGIS 3.22 sends a bearer token only through a request preprocessor (its authentication
    # methods are Basic, EsriToken and PKI), and only to onemap here.
    def sign_in(request):
        if request.url().toString().startswith(base + "/"):
            request.setRawHeader(b"Authorization", b"Bearer " + token.encode())

    preprocessor = QgsNetworkAccessManager.setRequestPreprocessor(sign_in)
    for c in collections:
        got = oapif_count(c)
        check(got == counts[c], f"as the administrator, OAPIF {c}: every feature",
              f"{got} vs {counts[c]}")
    QgsNetworkAccessManager.removeRequestPreprocessor(preprocessor)

    edit_checks(base, token)

    # ---- vector tiles (Web Mercator), signed out
    county = QgsVectorLayer(f"{store}|layername=grids", "store grids", "ogr")
    box = county.extent()  # read from the store file: CGCS2000 lon/lat
    check(county.isValid() and not box.isEmpty(), "the county's box from the store",
          box.toString(4))

    def tile_layer(template, zmin, zmax, name):
        uri = QgsDataSourceUri()
        uri.setParam("type", "xyz")
        uri.setParam("url", template)
        uri.setParam("zmin", str(zmin))
        uri.setParam("zmax", str(zmax))
        layer = QgsVectorTileLayer(bytes(uri.encodedUri()).decode(), name)
        polygons = QgsVectorTileBasicRendererStyle("grids", "grids",
                                                   QgsWkbTypes.PolygonGeometry)
        polygons.setSymbol(QgsFillSymbol.createSimple(
            {"color": "#cfe8c4", "outline_color": "#2b6e2b", "outline_width": "0.2"}))
        points = QgsVectorTileBasicRendererStyle("incidents", "incidents",
                                                 QgsWkbTypes.PointGeometry)
        points.setSymbol(QgsMarkerSymbol.createSimple(
            {"color": "#ff0000", "outline_style": "no", "size": "1.2"}))
        renderer = QgsVectorTileBasicRenderer()
        renderer.setStyles([polygons, points])
        layer.setRenderer(renderer)
        return layer

    def render(layer, crs, png):
        settings = QgsMapSettings()
        settings.setLayers([layer])
        settings.setDestinationCrs(QgsCoordinateReferenceSystem(crs))
        settings.setOutputSize(QSize(1000, 700))
        settings.setBackgroundColor(QColor("white"))
        to_map = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4490"),
                                        settings.destinationCrs(), QgsProject.instance())
        settings.setExtent(to_map.transformBoundingBox(box).buffered(
            to_map.transformBoundingBox(box).width() * 0.05))
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        image = job.renderedImage()
        image.save(png)
        # The county's box in pixels: drawn pixels inside it, none outside it.
        corners = [settings.mapToPixel().transform(to_map.transform(QgsPointXY(x, y)))
                   for x, y in ((box.xMinimum(), box.yMinimum()),
                                (box.xMaximum(), box.yMaximum()))]
        x0, x1 = sorted(p.x() for p in corners)
        y0, y1 = sorted(p.y() for p in corners)
        inside = drawn_inside = drawn_outside = outside = red = 0
        for y in range(0, image.height(), 2):
            for x in range(0, image.width(), 2):
                rgb = image.pixel(x, y) & 0xFFFFFF
                drawn = rgb != 0xFFFFFF
                red += rgb == 0xFF0000
                if x0 - 2 <= x <= x1 + 2 and y0 - 2 <= y <= y1 + 2:
                    inside += 1
                    drawn_inside += drawn
                else:
                    outside += 1
                    drawn_outside += drawn
        errors = [e.message for e in job.errors()]
        check(not errors, f"{png}: rendered without errors", "; ".join(errors))
        check(drawn_inside / inside > 0.3, f"{png}: the county is drawn inside its box",
              f"{drawn_inside / inside:.1%} of the box drawn")
        check(drawn_outside <= 0.001 * outside, f"{png}: nothing is drawn outside the box",
              f"{drawn_outside} of {outside} pixels")
        check(red > 20, f"{png}: incidents drawn", f"{red} red pixels")
        return image

    layers = "grids,incidents"
    tilejson = get_json(f"{base}/tiles/{layers}.json")
    check(set(tilejson["tiles"][0].split("/")[-3:]) == {"{z}", "{x}", "{y}.mvt"},
          "TileJSON: an XYZ template", tilejson["tiles"][0])
    xyz = tile_layer(tilejson["tiles"][0], tilejson["minzoom"], tilejson["maxzoom"],
                     "onemap xyz")
    check(xyz.isValid(), "the XYZ vector tile layer from the TileJSON is valid")
    mercator = render(xyz, "EPSG:3857", "qgis_client-webmercator.png")

    tileset = get_json(f"{base}/tiles/WebMercatorQuad?collections={layers}")
    item = next(l["href"] for l in tileset["links"] if l["rel"] == "item")
    template = (item.replace("{tileMatrix}", "{z}").replace("{tileRow}", "{y}")
                .replace("{tileCol}", "{x}"))
    zooms = [int(l["tileMatrix"]) for l in tileset["tileMatrixSetLimits"]]
    ogc = tile_layer(template, min(zooms), max(zooms), "onemap OGC API - Tiles")
    check(ogc.isValid(), "the XYZ layer from the OGC API - Tiles template is valid", template)
    ogc_image = render(ogc, "EPSG:3857", "qgis_client-ogc-tiles.png")
    check(ogc_image == mercator, "the OGC API - Tiles tiles draw the same image")
    # Tiles beyond the tileset's limits (QGIS asks for every tile of the view) are 404s,
    # which QGIS takes as no tile.
    asked = [r["status"] for r in server.requests()
             if r["path"].startswith("/tiles/WebMercatorQuad/")]
    check(asked.count(200) > 0 and set(asked) <= {200, 204, 304, 404},
          "QGIS asked for OGC API - Tiles tiles",
          ", ".join(f"{asked.count(s)} x {s}" for s in sorted(set(asked))))

    render(xyz, "EPSG:4490", "qgis_client-cgcs2000-map.png")

    # The county layers styled by onemap's MapLibre style (/style.json), converted by QGIS's own
    # MapBox GL converter: every county layer gets a rule, and the map shows their colours.
    style = get_json(f"{base}/style.json")
    county_source = style["sources"]["onemap-layers"]
    styled = tile_layer(county_source["tiles"][0], county_source["minzoom"], 16,
                        "onemap county layers")
    converter = QgsMapBoxGlStyleConverter()
    result = converter.convert(style)
    check(result == QgsMapBoxGlStyleConverter.Success, "QGIS converts /style.json",
          converter.errorMessage())
    styled.setRenderer(converter.renderer())
    ruled = {s.layerName() for s in converter.renderer().styles()}
    wanted = {l["name"] for t in style["metadata"]["onemap:catalogue"] for l in t["layers"]}
    check(wanted and wanted <= ruled, "every county layer of the style has a QGIS rule",
          f"rules for {sorted(ruled)}")
    settings = QgsMapSettings()
    settings.setLayers([styled])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    settings.setOutputSize(QSize(1000, 700))
    settings.setBackgroundColor(QColor("white"))
    to_map = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4490"),
                                    settings.destinationCrs(), QgsProject.instance())
    centre = box.center()
    # A village-sized view at the county's centre: zoom 13-14, where every layer is drawn.
    half = 0.02
    settings.setExtent(to_map.transformBoundingBox(QgsRectangle(
        centre.x() - half, centre.y() - half * 0.7, centre.x() + half, centre.y() + half * 0.7)))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save("qgis_client-style.png")
    colours = {int(l["color"].lstrip("#"), 16) for t in style["metadata"]["onemap:catalogue"]
               for l in t["layers"]}
    background = next(int(l["paint"]["background-color"].lstrip("#"), 16)
                      for l in style["layers"] if l["type"] == "background")
    drawn = coloured = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            rgb = image.pixel(x, y) & 0xFFFFFF
            drawn += rgb not in (0xFFFFFF, background)
            coloured += rgb in colours
    check(drawn > 0.02 * image.width() * image.height() / 4 and coloured > 20,
          "qgis_client-style.png: the county layers drawn in their styles' colours",
          f"{drawn} drawn pixels, {coloured} of a layer's own colour")


def http(method, url, token=None, body=None, headers=None):
    """One request: (status, headers, parsed JSON body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if data is not None and not request.has_header("Content-type"):
        request.add_header("Content-Type", "application/geo+json")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            text = r.read()
            return r.status, r.headers, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, e.headers, json.loads(text) if text else None


def edit_checks(base, token):
    """Part 4 edits of a county layer, read back by QGIS. QGIS 3.22's OAPIF provider is
    read-only (editing arrived in QGIS 3.32): the edits go over HTTP as a GIS desk's client
    sends them, and QGIS must show each at its next read."""
    from qgis.core import QgsDataSourceUri, QgsVectorDataProvider, QgsVectorLayer

    def cameras():
        uri = QgsDataSourceUri()
        uri.setParam("url", base)
        uri.setParam("typename", "cameras")
        layer = QgsVectorLayer(uri.uri(False), "cameras", "OAPIF")
        return layer, {f["device_id"]: f for f in layer.getFeatures()}

    layer, before = cameras()
    editing = (QgsVectorDataProvider.AddFeatures | QgsVectorDataProvider.ChangeAttributeValues
               | QgsVectorDataProvider.DeleteFeatures)
    check(not layer.dataProvider().capabilities() & editing,
          "QGIS's OAPIF provider here is read-only (if this fails, this QGIS edits over OAPIF: "
          "make the edits below through it)")

    # Replace one camera's name and move it by about 10 m, as of the ETag read.
    some = get_json(base + "/collections/cameras/items?limit=1")["features"][0]
    item = f"{base}/collections/cameras/items/{some['id']}"
    status, headers, feature = http("GET", item)
    etag = headers.get("ETag")
    lon, lat = feature["geometry"]["coordinates"]
    patch = {"geometry": {"type": "Point", "coordinates": [lon + 0.0001, lat]},
             "properties": {"name": "QGIS 编辑测试"}}
    status, headers, _ = http("PATCH", item, token, patch,
                              {"Content-Type": "application/merge-patch+json", "If-Match": etag})
    check(status == 200 and headers.get("ETag") not in (None, etag),
          "PATCH with the item's ETag: 200 and a new ETag", f"{status}")
    status, _, _ = http("PATCH", item, token, {"properties": {"name": "stale"}},
                        {"Content-Type": "application/merge-patch+json", "If-Match": etag})
    check(status == 412, "PATCH with the old ETag: 412", f"{status}")

    # A new camera, then deleted.
    device = "33052100001320000999"
    new = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat + 0.0001]},
           "properties": {"device_id": device, "name": "新增摄像头", "kind": "路口"}}
    status, headers, created = http("POST", base + "/collections/cameras/items", token, new)
    check(status == 201 and headers.get("Location"), "POST a camera: 201 with its Location",
          f"{status}")

    layer, after = cameras()
    moved = after.get(feature["properties"]["device_id"])
    check(moved is not None and moved["name"] == "QGIS 编辑测试"
          and abs(moved.geometry().asPoint().x() - (lon + 0.0001)) < 1e-7,
          "QGIS reads the patched camera: its new name and place")
    check(device in after and len(after) == len(before) + 1,
          "QGIS reads the new camera", f"{len(after)} vs {len(before)} + 1")

    location = headers.get("Location") or "/missing"
    status, _, _ = http("DELETE", location if location.startswith("http") else base + location,
                        token)
    check(status == 204, "DELETE the new camera: 204", f"{status}")
    layer, last = cameras()
    check(device not in last and len(last) == len(before),
          "QGIS no longer reads the deleted camera", f"{len(last)} vs {len(before)}")


def main():
    onemap_binary, source_dir = sys.argv[1], os.path.abspath(sys.argv[2])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from qgis.core import Qgis, QgsApplication
    except ImportError as e:
        message = f"python3-qgis is not installed ({e}); scripts/setup installs it"
        if os.environ.get("CI"):
            print("FAIL " + message)
            return 1
        print("SKIP: " + message)
        return SKIP

    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="qgis_client-")
    store = os.path.join(work, "demo.gpkg")
    demo = subprocess.run(
        [onemap_binary, "demo", "--data-dir", os.path.join(source_dir, "data"), "--out", store,
         "--scale", "0.03", "--end-date", "2026-11-26", "--force"], capture_output=True, text=True)
    if demo.returncode != 0:
        print("FAIL onemap demo\n" + demo.stdout + demo.stderr)
        return 1
    counts, public_incidents, county_layer_audiences = store_oracle(store, source_dir)
    token = secrets.token_hex(20)
    token_file = os.path.join(work, "admin.token")
    with open(os.open(token_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(token + "\n")
    server = Onemap(onemap_binary, store,
                    ["--write-token-file", token_file,
                     "--config", os.path.join(source_dir, "data", "dispatch.json")],
                    "qgis_client-onemap.log")
    base = server.url
    app = QgsApplication([], False)
    app.initQgis()
    print(f"QGIS {Qgis.QGIS_VERSION}, onemap at {base}", flush=True)
    try:
        client_checks(base, token, store, counts, public_incidents, county_layer_audiences,
                      server)
    finally:
        app.exitQgis()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"qgis_client: {time.monotonic() - started:.1f} s, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
