"""The viewer's one page: HTML, CSS and JavaScript, with no external resource.

The page asks the server for ``/scene.json``, then draws tiles on a canvas: pan by dragging,
zoom with the wheel (or the + and - buttons) around the cursor, the level chosen by zoom
(the coarsest whose pixels are no larger than the screen's), the coarsest level drawn
underneath while finer tiles arrive. The side panel has a slider for each non-spatial axis,
a toggle for each channel and label image (with its opacity), what is under the cursor
(position with units, values, label ids, map coordinates and longitude/latitude), a scale
bar, and the validation issues. A target with several images gets a picker: choosing one
loads ``?image=PATH``, the address that opens that image directly (the served report's
pictures link to it); a link opens the target's report when the server has one.
``window.viewer`` exposes the state and a few helpers
(``toScreen``, ``zoomBy``) for tests.
"""

# ruff: noqa: E501  (the page's CSS and JavaScript, not Python)
from __future__ import annotations

import html

__all__ = ["render_page"]

_STYLE = """
body{margin:0;font:13px system-ui,sans-serif;display:flex;height:100vh;background:#222;color:#eee}
#view{flex:1;position:relative;overflow:hidden}
canvas{display:block;width:100%;height:100%;cursor:grab;background:
repeating-conic-gradient(#333 0 25%,#2a2a2a 0 50%) 0 0/16px 16px}
#panel{width:300px;overflow:auto;padding:8px 12px;background:#181818;border-left:1px solid #444}
h1{font-size:15px;margin:4px 0 8px;word-break:break-all}h2{font-size:13px;margin:12px 0 4px;color:#aaa}
label{display:block;margin:2px 0}input[type=range]{width:100%}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;border:1px solid #888}
#scalebar{position:absolute;left:12px;bottom:12px;color:#fff;text-shadow:0 0 3px #000}
#scalebar div{height:4px;background:#fff;border:1px solid #000}
#zoom{position:absolute;right:10px;top:10px}#zoom button{width:28px;height:28px;font-size:16px}
input.window{width:64px;background:#333;color:#eee;border:1px solid #555}input.bad{border-color:#f55}
#picker{width:100%;margin:0 0 6px;background:#333;color:#eee;border:1px solid #555}
a{color:#8cf}#issues li{margin:3px 0}.error{color:#f77}.warning{color:#fc6}.here{font-weight:bold}
dl{margin:0;display:grid;grid-template-columns:70px 1fr;gap:2px 6px}dt{color:#aaa}dd{margin:0;min-height:1em}
"""

_SCRIPT = r"""
"use strict";
const $ = (id) => document.getElementById(id);
const V = {scene: null, level: 0, zoom: 1, cx: 0, cy: 0, indices: {}, channels: [], windows: [],
  layers: {}, tiles: new Map(), requested: [], aspect: 1, image: null};
window.viewer = V;
const canvas = $("canvas"), ctx = canvas.getContext("2d");

function shapeOf(level, spatial) { return [level.shape[spatial[0]], level.shape[spatial[1]]]; }
function query(extra) {
  const q = new URLSearchParams();
  if (V.image !== null) q.set("image", V.image);
  for (const [k, v] of Object.entries(V.indices)) q.set(k, v);
  for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
  return q.toString();
}
function toScreen(col, row) {
  return [(col - V.cx) * V.zoom + canvas.width / 2, (row - V.cy) * V.zoom * V.aspect + canvas.height / 2];
}
function toImage(x, y) {
  return [(x - canvas.width / 2) / V.zoom + V.cx, (y - canvas.height / 2) / (V.zoom * V.aspect) + V.cy];
}
V.toScreen = (col, row) => { const r = canvas.getBoundingClientRect(); const [x, y] = toScreen(col, row);
  return [r.left + x * r.width / canvas.width, r.top + y * r.height / canvas.height]; };
V.zoomBy = (f, x, y) => zoomAt(f, x === undefined ? canvas.width / 2 : x, y === undefined ? canvas.height / 2 : y);

function chooseLevel(levels, spatial, base) {
  // the coarsest level whose pixel is no larger than a screen pixel
  let best = 0;
  levels.forEach((lv, i) => { const f = base[1] / shapeOf(lv, spatial)[1]; if (f <= Math.max(1, 1 / V.zoom) * 1.001) best = i; });
  return best;
}
function tileImage(url) {
  let img = V.tiles.get(url);
  if (!img) {
    img = new Image(); img.onload = draw; img.onerror = () => {}; img.src = url;
    V.tiles.set(url, img); V.requested.push(url);
    if (V.tiles.size > 600) V.tiles.delete(V.tiles.keys().next().value);
  }
  return img;
}
function drawLayer(levels, spatial, index, urlOf, alpha) {
  const base = shapeOf(V.scene.levels[0], V.scene.spatial);
  const [h, w] = shapeOf(levels[index], spatial), T = V.scene.tile;
  const fy = base[0] / h, fx = base[1] / w;
  const [c0, r0] = toImage(0, 0), [c1, r1] = toImage(canvas.width, canvas.height);
  const cols = [Math.max(0, Math.floor(c0 / fx / T)), Math.min(Math.ceil(w / T) - 1, Math.floor(c1 / fx / T))];
  const rows = [Math.max(0, Math.floor(r0 / fy / T)), Math.min(Math.ceil(h / T) - 1, Math.floor(r1 / fy / T))];
  ctx.globalAlpha = alpha;
  for (let r = rows[0]; r <= rows[1]; r++) for (let c = cols[0]; c <= cols[1]; c++) {
    const img = tileImage(urlOf(index, r, c));
    if (!img.complete || !img.naturalWidth) continue;
    const [x, y] = toScreen(c * T * fx, r * T * fy);
    ctx.drawImage(img, x, y, img.naturalWidth * fx * V.zoom, img.naturalHeight * fy * V.zoom * V.aspect);
  }
  ctx.globalAlpha = 1;
}
function draw() {
  const s = V.scene; if (!s) return;
  const r = canvas.getBoundingClientRect();
  if (canvas.width !== Math.round(r.width) || canvas.height !== Math.round(r.height)) { canvas.width = Math.round(r.width); canvas.height = Math.round(r.height); }
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const base = shapeOf(s.levels[0], s.spatial);
  V.level = chooseLevel(s.levels, s.spatial, base);
  $("level").textContent = V.level + " (" + shapeOf(s.levels[V.level], s.spatial).join(" x ") + ")";
  const chans = V.channels.map((on, i) => on ? i : -1).filter((i) => i >= 0).join(",");
  const wins = V.windows.map((w) => w[0] + ":" + w[1]).join(",");
  const imageUrl = (l, r2, c) => "tile/" + l + "/" + r2 + "/" + c + "?" + query(s.channels.length ? {channels: chans, windows: wins} : {});
  if (V.level !== s.levels.length - 1) drawLayer(s.levels, s.spatial, s.levels.length - 1, imageUrl, 1);
  drawLayer(s.levels, s.spatial, V.level, imageUrl, 1);
  for (const layer of s.labels) {
    const st = V.layers[layer.name]; if (!st.on) continue;
    const l = chooseLevel(layer.levels, layer.spatial, shapeOf(layer.levels[0], layer.spatial));
    drawLayer(layer.levels, layer.spatial, l, (lv, r2, c) => "labels/" + encodeURIComponent(layer.name) + "/" + lv + "/" + r2 + "/" + c + "?" + query(), st.opacity);
  }
  scaleBar();
}
function scaleBar() {
  const s = V.scene, x = s.spatial[1], unit = s.axes[x].unit;
  const perPixel = Math.abs(s.levels[0].scale[x]) / V.zoom;
  const raw = perPixel * 120, p = Math.pow(10, Math.floor(Math.log10(raw)));
  const nice = [1, 2, 5, 10].map((m) => m * p).filter((v) => v <= raw).pop();
  $("scalebar").innerHTML = "<div style='width:" + (nice / perPixel) + "px'></div>" + +nice.toPrecision(3) + " " + (unit || "px");
}
function zoomAt(f, x, y) {
  const [c, r] = toImage(x, y);
  V.zoom = Math.min(64, Math.max(V.minZoom / 4, V.zoom * f));
  V.cx = c - (x - canvas.width / 2) / V.zoom; V.cy = r - (y - canvas.height / 2) / (V.zoom * V.aspect);
  draw();
}
let drag = null, pending = null, busy = false;
canvas.addEventListener("mousedown", (e) => { drag = [e.clientX, e.clientY]; canvas.style.cursor = "grabbing"; });
window.addEventListener("mouseup", () => { drag = null; canvas.style.cursor = "grab"; });
canvas.addEventListener("wheel", (e) => { e.preventDefault(); const b = canvas.getBoundingClientRect();
  zoomAt(e.deltaY < 0 ? 1.25 : 0.8, (e.clientX - b.left) * canvas.width / b.width, (e.clientY - b.top) * canvas.height / b.height); }, {passive: false});
canvas.addEventListener("mousemove", (e) => {
  const b = canvas.getBoundingClientRect();
  const x = (e.clientX - b.left) * canvas.width / b.width, y = (e.clientY - b.top) * canvas.height / b.height;
  if (drag) { V.cx -= (e.clientX - drag[0]) / V.zoom; V.cy -= (e.clientY - drag[1]) / (V.zoom * V.aspect); drag = [e.clientX, e.clientY]; draw(); return; }
  pending = toImage(x, y); probe();
});
async function probe() {
  if (busy || !pending) return;
  const [c, r] = pending; pending = null; busy = true;
  try {
    const res = await fetch("value?" + query({x: c, y: r}));
    const v = await res.json();
    if (v.error) { $("readout").classList.add("outside"); $("position").textContent = "outside"; $("value").textContent = ""; $("label-ids").textContent = ""; $("lonlat").textContent = ""; }
    else showValue(v);
  } finally { busy = false; if (pending) probe(); }
}
function fmt(v) { return v === null ? "nodata" : (Number.isInteger(v) ? String(v) : (+v).toPrecision(6)); }
function showValue(v) {
  $("position").textContent = v.position.map((p) => p.axis + "=" + fmt(p.value) + (p.unit ? " " + p.unit : "")).join(", ");
  const names = V.scene.channels.map((c) => c.label);
  $("value").textContent = v.values.map((x, i) => (names[i] ? names[i] + ": " : "") + fmt(x)).join(", ");
  $("label-ids").textContent = Object.entries(v.labels).map(([k, id]) => k + ": " + id).join(", ");
  $("lonlat").textContent = v.map ? ("x=" + fmt(v.map.x) + " y=" + fmt(v.map.y) + (v.map.lon !== undefined ? "; lon " + v.map.lon.toFixed(5) + ", lat " + v.map.lat.toFixed(5) : "")) : "";
  $("readout").dataset.ready = "1";
}
function el(tag, attrs, text) { const e = document.createElement(tag); Object.assign(e, attrs || {}); if (text !== undefined) e.textContent = text; return e; }
function controls() {
  const s = V.scene;
  s.axes.forEach((a, i) => {
    if (s.spatial.includes(i) || i === s.channel_axis) return;
    const n = s.levels[0].shape[i]; V.indices[a.name] = Math.floor(n / 2);
    const out = el("span", {id: "axis-" + a.name + "-value"}, String(V.indices[a.name]));
    const input = el("input", {type: "range", min: 0, max: n - 1, value: V.indices[a.name], id: "axis-" + a.name});
    input.addEventListener("input", () => { V.indices[a.name] = +input.value; out.textContent = input.value; draw(); });
    const lab = el("label", {}, a.name + " "); lab.append(out, input); $("axes").append(lab);
  });
  s.channels.forEach((c, i) => {
    V.channels[i] = c.visible;
    const box = el("input", {type: "checkbox", checked: c.visible, id: "channel-" + i});
    box.addEventListener("change", () => { V.channels[i] = box.checked; draw(); });
    const sw = el("span", {className: "swatch"}); sw.style.background = c.colour;
    V.windows[i] = s.windows[i].slice();
    const bounds = [0, 1].map((k) => {
      const input = el("input", {type: "number", value: +s.windows[i][k].toPrecision(6), id: "window-" + i + "-" + (k ? "max" : "min"), className: "window", step: "any"});
      input.addEventListener("change", () => { const v = parseFloat(input.value); const w = V.windows[i].slice(); w[k] = v;
        if (isFinite(v) && w[0] < w[1]) { V.windows[i] = w; input.classList.remove("bad"); draw(); } else input.classList.add("bad"); });
      return input;
    });
    const lab = el("label"); lab.append(box, sw, c.label + " ", bounds[0], " to ", bounds[1]); $("channels").append(lab);
  });
  if (!s.channels.length) V.channels = [true];
  s.labels.forEach((layer) => {
    const st = V.layers[layer.name] = {on: true, opacity: 0.5};
    const box = el("input", {type: "checkbox", checked: true, id: "labels-" + layer.name});
    box.addEventListener("change", () => { st.on = box.checked; draw(); });
    const op = el("input", {type: "range", min: 0, max: 100, value: 50, id: "opacity-" + layer.name});
    op.addEventListener("input", () => { st.opacity = op.value / 100; draw(); });
    const lab = el("label"); lab.append(box, layer.name + " opacity", op); $("labels").append(lab);
  });
  $("crs").textContent = s.crs || "";
  if (s.images.length > 1) {
    const pick = $("picker");
    for (const im of s.images) pick.append(el("option", {value: im.path, selected: im.path === s.image}, im.title));
    pick.addEventListener("change", () => { location.search = "?image=" + encodeURIComponent(pick.value); });
    pick.hidden = false;
  }
  if (s.report) $("report-link").hidden = false;
}
async function issues() {
  const res = await fetch("issues"); const st = await res.json();
  if (st.status === "running" || st.status === "pending") { setTimeout(issues, 500); return; }
  const box = $("issues"); box.textContent = "";
  if (st.status !== "done") { box.textContent = st.status === "none" ? "" : "validation failed: " + st.message; return; }
  const rep = st.report; $("verdict").textContent = rep.valid ? "valid" : "invalid";
  if (!rep.issues.length) { box.textContent = "No issues."; return; }
  for (const i of rep.issues) {
    const li = el("li", {className: i.severity + (i.path === V.scene.path ? " here" : "")});
    li.textContent = i.severity + " " + i.rule + " at /" + i.path + (i.pointer ? " " + i.pointer : "") + ": " + i.message;
    box.append(li);
  }
}
async function start() {
  const asked = new URLSearchParams(location.search).get("image");
  const res = await fetch("scene.json" + (asked === null ? "" : "?image=" + encodeURIComponent(asked)));
  const found = await res.json();
  if (found.error) { $("issues").textContent = found.error; document.body.dataset.ready = "error"; return; }
  V.scene = found;
  const s = V.scene, x = s.spatial[1], y = s.spatial[0];
  if (s.images.length > 1) V.image = s.image;
  V.aspect = Math.abs(s.levels[0].scale[y] / s.levels[0].scale[x]) || 1;
  const base = shapeOf(s.levels[0], s.spatial), r = canvas.getBoundingClientRect();
  V.zoom = V.minZoom = Math.min(r.width / base[1], r.height / (base[0] * V.aspect));
  V.cx = base[1] / 2; V.cy = base[0] / 2;
  controls(); draw(); issues();
  document.body.dataset.ready = "1";
}
$("zoom-in").onclick = () => V.zoomBy(2); $("zoom-out").onclick = () => V.zoomBy(0.5);
window.addEventListener("resize", draw);
start();
"""


def render_page(title: str) -> str:
    """Return the viewer's page.

    Parameters
    ----------
    title
        What the page is called (the target).

    Returns
    -------
    str
        One self-contained HTML document; it loads only the server's own endpoints.

    Examples
    --------
    >>> "<canvas" in render_page("demo.zarr") and "http" not in render_page("x")
    True
    """
    name = html.escape(title)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{name}</title>
<style>{_STYLE}</style></head>
<body><div id="view"><canvas id="canvas"></canvas><div id="scalebar"></div>
<div id="zoom"><button id="zoom-in" title="zoom in">+</button><button id="zoom-out" title="zoom out">-</button></div></div>
<div id="panel"><h1>{name}</h1>
<select id="picker" title="image" hidden></select>
<dl><dt>level</dt><dd id="level"></dd><dt>CRS</dt><dd id="crs"></dd></dl>
<h2>Axes</h2><div id="axes"></div><h2>Channels</h2><div id="channels"></div>
<h2>Labels</h2><div id="labels"></div>
<h2>Under the cursor</h2><dl id="readout"><dt>position</dt><dd id="position"></dd><dt>value</dt><dd id="value"></dd>
<dt>label id</dt><dd id="label-ids"></dd><dt>map</dt><dd id="lonlat"></dd></dl>
<h2>Issues <span id="verdict"></span> <a id="report-link" href="report" target="_blank" hidden>report</a></h2><ul id="issues"></ul></div>
<script>{_SCRIPT}</script></body></html>
"""
