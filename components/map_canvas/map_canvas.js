// Embedscape's one map renderer: a Canvas 2D scatter (no WebGL, so it draws the same in a browser
// without a GPU), read from the compact binary payload of engine/project/payload.py.
// Every user string is drawn with fillText or set as textContent: never parsed as HTML.
// Events to Python (st.components.v2): trigger "click" {row, view}, trigger "select" {rows, mode, view},
// trigger "hover" {row} (text on demand), state "view" {x0, x1, y0, y1, zoom} when report_view is on.

const VIEWS = new Map();     // view_key -> last view, so a rerun keeps the user's zoom
const HOVERS = new Map();    // view_key -> Map(row -> text) fetched on demand
const RING = "#d62728";
const HIT_PX = 10;           // hover / click radius in CSS px

function parse(bytes) {
  const copy = new Uint8Array(bytes);  // typed views need 4-byte alignment: own the buffer
  const buf = copy.buffer;
  const magic = String.fromCharCode(copy[0], copy[1], copy[2], copy[3]);
  if (magic !== "ESMP") throw new Error("not a map payload");
  const dv = new DataView(buf);
  const headerLen = dv.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(copy.subarray(12, 12 + headerLen)));
  const base = 12 + headerLen;
  const kinds = { f4: Float32Array, u4: Uint32Array, u2: Uint16Array };
  for (const [name, [dtype, offset, size]] of Object.entries(header.arrays)) {
    header[name] = new kinds[dtype](buf, base + offset, size);
  }
  return header;
}

function el(tag, cls, parent) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (parent) parent.appendChild(node);
  return node;
}

// points bucketed by colour code (one fillStyle per colour) and by grid cell (hover lookup)
function buildIndex(m) {
  const n = m.n, ncol = m.colors.length;
  const byCode = new Uint32Array(n), start = new Uint32Array(ncol + 1);
  for (let i = 0; i < n; i++) start[m.code[i] + 1]++;
  for (let c = 0; c < ncol; c++) start[c + 1] += start[c];
  const fill = start.slice(0, ncol);
  for (let i = 0; i < n; i++) byCode[fill[m.code[i]]++] = i;
  const g = Math.max(1, Math.min(1024, Math.round(Math.sqrt(n / 4))));
  const [x0, x1, y0, y1] = m.extent;
  const cell = new Uint32Array(n), cstart = new Uint32Array(g * g + 1);
  for (let i = 0; i < n; i++) {
    const cx = Math.min(g - 1, Math.max(0, Math.floor((m.x[i] - x0) / (x1 - x0) * g)));
    const cy = Math.min(g - 1, Math.max(0, Math.floor((m.y[i] - y0) / (y1 - y0) * g)));
    cell[i] = cy * g + cx;
    cstart[cell[i] + 1]++;
  }
  for (let c = 0; c < g * g; c++) cstart[c + 1] += cstart[c];
  const cfill = cstart.slice(0, g * g), members = new Uint32Array(n);
  for (let i = 0; i < n; i++) members[cfill[cell[i]]++] = i;
  return { byCode, start, g, cstart, members };
}

export default function (component) {
  const { data, parentElement, setTriggerValue, setStateValue } = component;
  if (!data) return;
  const started = performance.now();
  const m = parse(data);
  const opts = m.options || {};
  const height = opts.height || 640;
  const idx = buildIndex(m);
  const full = m.extent;
  const viewKey = m.view_key || "";
  const hoverCache = HOVERS.get(viewKey) || new Map();
  HOVERS.set(viewKey, hoverCache);
  if (m.hover_reply) hoverCache.set(m.hover_reply.row, m.hover_reply.text);

  const old = parentElement.querySelector(".esm-root");
  if (old) old.remove();
  const root = el("div", "esm-root", parentElement);
  const plot = el("div", "esm-plot", root);  // the legend goes under the plot, never over points
  plot.style.height = height + "px";
  const base = el("canvas", "esm-base", plot);
  const over = el("canvas", "esm-over", plot);
  const tip = el("div", "esm-tip", plot);
  const bar = el("div", "esm-bar", plot);
  const notice = el("div", "esm-notice", plot);
  const legend = el("div", "esm-legend", root);
  root.setAttribute("data-testid", "embedscape-map");
  root.setAttribute("data-n", String(m.n));
  root.setAttribute("data-setup-ms", (performance.now() - started).toFixed(0));  // parse + index (bench)

  let W = 0, H = 0, dpr = window.devicePixelRatio || 1;
  let view = VIEWS.get(viewKey) || { x0: full[0], x1: full[1], y0: full[2], y1: full[3] };
  let mode = opts.mode || "pan";
  let drag = null, lasso = null, hovered = -1, hoverTimer = 0, viewTimer = 0, frame = 0;
  let shownLabels = [], shownBoxes = [];

  const zoom = () => (full[1] - full[0]) / (view.x1 - view.x0);
  const px = (x) => (x - view.x0) / (view.x1 - view.x0) * W;
  const py = (y) => H - (y - view.y0) / (view.y1 - view.y0) * H;
  const dataX = (sx) => view.x0 + sx / W * (view.x1 - view.x0);
  const dataY = (sy) => view.y0 + (H - sy) / H * (view.y1 - view.y0);
  const viewState = () => ({ x0: view.x0, x1: view.x1, y0: view.y0, y1: view.y1, zoom: zoom() });

  function resize() {
    W = Math.max(50, plot.clientWidth);
    H = height;
    for (const c of [base, over]) {
      c.width = Math.round(W * dpr); c.height = Math.round(H * dpr);
      c.style.width = W + "px"; c.style.height = H + "px";
    }
    draw();
  }

  function drawDensity(ctx) {
    if (!m.density) return;
    const { h, w, extent } = m.density;
    const img = new ImageData(w, h);
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const v = m.grid[(h - 1 - r) * w + c];  // row 0 of the grid is the bottom
        const o = (r * w + c) * 4;
        img.data[o] = 70; img.data[o + 1] = 90; img.data[o + 2] = 160; img.data[o + 3] = Math.round(Math.min(1, v) * 150);
      }
    }
    const tmp = document.createElement("canvas");
    tmp.width = w; tmp.height = h;
    tmp.getContext("2d").putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    const left = px(extent[0]), right = px(extent[1]), top = py(extent[3]), bottom = py(extent[2]);
    ctx.drawImage(tmp, left, top, right - left, bottom - top);
  }

  // many points: write pixels straight into a buffer (one call per frame instead of one per point;
  // 200k fillRect calls took ~0.3 s a frame in software rendering)
  let scratch = null;
  function drawPixels(ctx) {
    const w = Math.round(W * dpr), h = Math.round(H * dpr);
    if (!scratch || scratch.width !== w || scratch.height !== h) {
      scratch = document.createElement("canvas"); scratch.width = w; scratch.height = h;
    }
    const sctx = scratch.getContext("2d");
    const img = sctx.createImageData(w, h), buf = new Uint32Array(img.data.buffer);
    const rgba = m.colors.map((c) => {
      const v = parseInt(c.slice(1), 16);
      return (0xff << 24 | (v & 0xff) << 16 | (v >> 8 & 0xff) << 8 | v >> 16) >>> 0;  // little-endian ABGR
    });
    const size = Math.max(1, Math.round(m.point_size * dpr)), off = size >> 1;
    const kx = w / (view.x1 - view.x0), ky = h / (view.y1 - view.y0), x0 = view.x0, y1 = view.y1;
    for (let c = 0; c < m.colors.length; c++) {
      const colour = rgba[c];
      for (let k = idx.start[c]; k < idx.start[c + 1]; k++) {
        const i = idx.byCode[k];
        const X = ((m.x[i] - x0) * kx | 0) - off, Y = ((y1 - m.y[i]) * ky | 0) - off;
        if (X < 0 || Y < 0 || X + size > w || Y + size > h) continue;
        for (let dy = 0; dy < size; dy++) {
          const row = (Y + dy) * w + X;
          for (let dx = 0; dx < size; dx++) buf[row + dx] = colour;
        }
      }
    }
    sctx.putImageData(img, 0, 0);
    ctx.globalAlpha = 0.8;
    ctx.drawImage(scratch, 0, 0, W, H);
    ctx.globalAlpha = 1;
  }

  function drawPoints(ctx) {
    if (m.n > 20000) { drawPixels(ctx); return; }
    const s = m.point_size, half = s / 2, round = m.n <= 5000;
    ctx.globalAlpha = m.n > 50000 ? 0.7 : 0.85;
    for (let c = 0; c < m.colors.length; c++) {
      const a = idx.start[c], b = idx.start[c + 1];
      if (a === b) continue;
      ctx.fillStyle = m.colors[c];
      if (round) ctx.beginPath();
      for (let k = a; k < b; k++) {
        const i = idx.byCode[k];
        const X = px(m.x[i]), Y = py(m.y[i]);
        if (X < -s || Y < -s || X > W + s || Y > H + s) continue;
        if (round) { ctx.moveTo(X + half, Y); ctx.arc(X, Y, half, 0, 6.2832); } else ctx.fillRect(X - half, Y - half, s, s);
      }
      if (round) ctx.fill();
    }
    ctx.globalAlpha = 1;
  }

  function labelLevel() {
    if (!m.labels || !m.labels.levels || !m.labels.levels.length) return null;
    let best = null;
    for (const level of m.labels.levels) {
      if (level.min_zoom <= zoom() + 1e-9 && (!best || level.min_zoom > best.min_zoom)) best = level;
    }
    return best;
  }

  function drawLabels(ctx) {
    const level = labelLevel();
    ctx.font = "600 11px sans-serif";
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    const boxes = [];
    shownLabels = []; shownBoxes = boxes;
    const items = level ? level.labels : (m.flat_labels || []);
    for (const label of items) {
      let X = px(label.x), Y = py(label.y);
      const w = label.w || ctx.measureText(label.text).width + 8, h = label.h || 16;
      if (!level) {  // a flat label stays whole inside the plot (its cluster may sit at the edge)
        X = Math.min(Math.max(X, w / 2 + 2), W - w / 2 - 2); Y = Math.min(Math.max(Y, h / 2 + 2), H - h / 2 - 2);
      }
      if (X + w / 2 < 0 || X - w / 2 > W || Y + h / 2 < 0 || Y - h / 2 > H) continue;
      const box = [X - w / 2, Y - h / 2, X + w / 2, Y + h / 2];
      // the engine places hierarchy levels without overlap for its assumed viewport; this canvas may be
      // narrower or stretched, so every label is also thinned here, in the payload's priority order
      if (boxes.some((o) => box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3])) continue;
      boxes.push(box);
      ctx.fillStyle = "rgba(255,255,255,0.8)";
      ctx.fillRect(box[0], box[1], w, h);
      ctx.fillStyle = "#222";
      ctx.fillText(label.text, X, Y, w - 4);
      shownLabels.push(label.text);
    }
    root.setAttribute("data-labels", JSON.stringify(shownLabels));
    root.setAttribute("data-level", level ? String(level.min_zoom) : "flat");
  }

  function drawOverlay() {
    const ctx = over.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    drawLabels(ctx);
    ctx.lineWidth = 2.5; ctx.strokeStyle = RING; ctx.globalAlpha = 1;
    const r = m.point_size / 2 + 5;
    for (const i of m.ring) {
      ctx.beginPath(); ctx.arc(px(m.x[i]), py(m.y[i]), r, 0, 6.2832); ctx.stroke();
    }
    if (m.focus !== null && m.focus !== undefined) {
      const X = px(m.x[m.focus]), Y = py(m.y[m.focus]), d = 7;
      for (const [colour, width] of [["#ffffff", 5], ["#111111", 2.5]]) {
        ctx.strokeStyle = colour; ctx.lineWidth = width;
        ctx.beginPath(); ctx.moveTo(X - d, Y - d); ctx.lineTo(X + d, Y + d); ctx.moveTo(X + d, Y - d); ctx.lineTo(X - d, Y + d); ctx.stroke();
      }
    }
    for (const marker of m.markers || []) {  // points that are not items: a search query placed on the map
      const X = px(marker.x), Y = py(marker.y);
      ctx.beginPath();
      for (let k = 0; k < 10; k++) {
        const r = k % 2 ? 4.5 : 11, a = -Math.PI / 2 + (k * Math.PI) / 5;
        ctx[k ? "lineTo" : "moveTo"](X + r * Math.cos(a), Y + r * Math.sin(a));
      }
      ctx.closePath();
      ctx.fillStyle = "#ffd400"; ctx.fill();
      ctx.strokeStyle = "#111"; ctx.lineWidth = 1.5; ctx.stroke();
      if (marker.text) {  // canvas text: never parsed as markup
        ctx.font = "600 12px sans-serif"; ctx.textAlign = "left"; ctx.textBaseline = "middle";
        ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.9)";
        ctx.strokeText(marker.text, X + 14, Y, 240); ctx.fillStyle = "#111"; ctx.fillText(marker.text, X + 14, Y, 240);
      }
    }
    if (hovered >= 0) {
      ctx.strokeStyle = "#111"; ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.arc(px(m.x[hovered]), py(m.y[hovered]), m.point_size / 2 + 3, 0, 6.2832); ctx.stroke();
    }
    if (drag && drag.kind === "box") {
      ctx.fillStyle = "rgba(31,119,180,0.12)"; ctx.strokeStyle = "#1f77b4"; ctx.lineWidth = 1;
      const [a, b] = [drag.start, drag.now];
      ctx.fillRect(a[0], a[1], b[0] - a[0], b[1] - a[1]); ctx.strokeRect(a[0], a[1], b[0] - a[0], b[1] - a[1]);
    }
    if (lasso && lasso.length > 1) {
      ctx.fillStyle = "rgba(31,119,180,0.12)"; ctx.strokeStyle = "#1f77b4"; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(lasso[0][0], lasso[0][1]);
      for (const p of lasso) ctx.lineTo(p[0], p[1]);
      ctx.closePath(); ctx.fill(); ctx.stroke();
    }
  }

  function draw() {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const ctx = base.getContext("2d");
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, W, H);
      drawDensity(ctx);
      drawPoints(ctx);
      drawOverlay();
      root.setAttribute("data-zoom", zoom().toFixed(4));
      root.setAttribute("data-ready", "1");
      root.setAttribute("data-drawn-at", performance.now().toFixed(1));  // when the points last changed on screen (bench)
    });
  }

  function nearest(sx, sy) {
    const [x0, x1, y0, y1] = full, g = idx.g;
    const dx = HIT_PX / W * (view.x1 - view.x0), dy = HIT_PX / H * (view.y1 - view.y0);
    const gx = (x) => Math.min(g - 1, Math.max(0, Math.floor((x - x0) / (x1 - x0) * g)));
    const gy = (y) => Math.min(g - 1, Math.max(0, Math.floor((y - y0) / (y1 - y0) * g)));
    const X = dataX(sx), Y = dataY(sy);
    let best = -1, bestD = HIT_PX * HIT_PX;
    for (let cy = gy(Y - dy); cy <= gy(Y + dy); cy++) {
      for (let cx = gx(X - dx); cx <= gx(X + dx); cx++) {
        const c = cy * g + cx;
        for (let k = idx.cstart[c]; k < idx.cstart[c + 1]; k++) {
          const i = idx.members[k];
          const ex = px(m.x[i]) - sx, ey = py(m.y[i]) - sy, d = ex * ex + ey * ey;
          if (d <= bestD) { bestD = d; best = i; }
        }
      }
    }
    return best;
  }

  function hoverText(i) {
    const row = m.row[i];
    if (m.hover) return m.hover[i];
    if (hoverCache.has(row)) return hoverCache.get(row);
    return null;
  }

  function showTip(i, sx, sy) {
    tip.replaceChildren();
    if (i < 0) { tip.style.display = "none"; root.removeAttribute("data-hover-row"); return; }
    const text = hoverText(i);
    const lines = text === null ? [m.names[m.code[i]] || "", "…"] : String(text).split("\n");
    lines.forEach((line, k) => { const d = el("div", k === 0 ? "esm-tip-title" : "", tip); d.textContent = line; });
    tip.style.display = "block";
    tip.style.left = Math.min(sx + 12, Math.max(0, W - 320)) + "px";
    tip.style.top = Math.min(sy + 12, H - 60) + "px";
    root.setAttribute("data-hover-row", String(m.row[i]));
    if (text === null && opts.hover_on_demand) {
      clearTimeout(hoverTimer);
      hoverTimer = setTimeout(() => { if (hovered === i) setTriggerValue("hover", { row: m.row[i] }); }, 300);
    }
  }

  function reportView() {
    VIEWS.set(viewKey, { ...view });
    root.setAttribute("data-zoom", zoom().toFixed(4));
    if (!opts.report_view) return;
    clearTimeout(viewTimer);
    viewTimer = setTimeout(() => setStateValue("view", viewState()), 500);
  }

  function zoomAt(sx, sy, factor) {
    const X = dataX(sx), Y = dataY(sy);
    const maxW = (full[1] - full[0]), maxH = (full[3] - full[2]);
    let w = Math.min(maxW, (view.x1 - view.x0) / factor), h = Math.min(maxH, (view.y1 - view.y0) / factor);
    w = Math.max(w, maxW / 5000); h = Math.max(h, maxH / 5000);
    const fx = sx / W, fy = (H - sy) / H;
    view = { x0: X - fx * w, x1: X - fx * w + w, y0: Y - fy * h, y1: Y - fy * h + h };
    reportView(); draw();
  }

  function local(event) {
    const r = over.getBoundingClientRect();
    return [event.clientX - r.left, event.clientY - r.top];
  }

  function selectInside(test, kind) {
    const rows = [];
    for (let i = 0; i < m.n; i++) if (test(px(m.x[i]), py(m.y[i]))) rows.push(m.row[i]);
    root.setAttribute("data-selected", String(rows.length));
    setTriggerValue("select", { rows, mode: kind, view: viewState() });
  }

  function inPolygon(poly, x, y) {
    let inside = false;
    for (let a = 0, b = poly.length - 1; a < poly.length; b = a++) {
      const [xa, ya] = poly[a], [xb, yb] = poly[b];
      if ((ya > y) !== (yb > y) && x < (xb - xa) * (y - ya) / (yb - ya) + xa) inside = !inside;
    }
    return inside;
  }

  over.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [sx, sy] = local(event);
    zoomAt(sx, sy, Math.exp(-event.deltaY * 0.0015));
  }, { passive: false });
  over.addEventListener("mousedown", (event) => {
    const p = local(event);
    drag = { kind: mode, start: p, now: p, view: { ...view }, moved: false };
    if (mode === "lasso") lasso = [p];
  });
  // drags follow the mouse anywhere (over the toolbar, outside the map), hover only over the plot
  function onMove(event) {
    if (!drag) return;
    const p = local(event);
    {
      drag.moved = drag.moved || Math.hypot(p[0] - drag.start[0], p[1] - drag.start[1]) > 4;
      drag.now = p;
      if (drag.kind === "pan" && drag.moved) {
        const ddx = (p[0] - drag.start[0]) / W * (drag.view.x1 - drag.view.x0);
        const ddy = (p[1] - drag.start[1]) / H * (drag.view.y1 - drag.view.y0);
        view = { x0: drag.view.x0 - ddx, x1: drag.view.x1 - ddx, y0: drag.view.y0 + ddy, y1: drag.view.y1 + ddy };
        draw();
      } else if (drag.kind === "lasso") { lasso.push(p); drawOverlay(); } else drawOverlay();
    }
  }
  window.addEventListener("mousemove", onMove);
  over.addEventListener("mousemove", (event) => {
    if (drag) return;
    const p = local(event);
    const i = nearest(p[0], p[1]);
    if (i !== hovered) { hovered = i; drawOverlay(); }
    showTip(i, p[0], p[1]);
  });
  over.addEventListener("mouseleave", () => { hovered = -1; showTip(-1); drawOverlay(); });
  window.addEventListener("mouseup", onUp);
  function onUp(event) {
    if (!drag) return;
    const d = drag; drag = null;
    const p = local(event);
    if (!d.moved) {
      lasso = null;
      const i = nearest(p[0], p[1]);
      if (i >= 0 && opts.click !== false) setTriggerValue("click", { row: m.row[i], view: viewState() });
      drawOverlay();
      return;
    }
    if (d.kind === "pan") { reportView(); return; }
    if (d.kind === "box") {
      const [ax, bx] = [Math.min(d.start[0], p[0]), Math.max(d.start[0], p[0])];
      const [ay, by] = [Math.min(d.start[1], p[1]), Math.max(d.start[1], p[1])];
      selectInside((x, y) => x >= ax && x <= bx && y >= ay && y <= by, "box");
    } else if (d.kind === "lasso" && lasso && lasso.length > 2) {
      const poly = lasso;
      selectInside((x, y) => inPolygon(poly, x, y), "lasso");
    }
    lasso = null;
    drawOverlay();
  }
  over.addEventListener("dblclick", () => { view = { x0: full[0], x1: full[1], y0: full[2], y1: full[3] }; reportView(); draw(); });

  // toolbar: modes and reset (buttons named for tests and screen readers)
  const buttons = {};
  const tools = opts.select === false ? [["pan", "Pan"], ["reset", "Reset view"]]
    : [["pan", "Pan"], ["box", "Box select"], ["lasso", "Lasso select"], ["reset", "Reset view"]];
  if (opts.select === false) mode = "pan";
  for (const [name, title] of tools) {
    const b = el("button", "esm-btn", bar);
    b.type = "button"; b.textContent = title; b.title = title; b.setAttribute("aria-label", title);
    b.addEventListener("click", () => {
      if (name === "reset") { view = { x0: full[0], x1: full[1], y0: full[2], y1: full[3] }; reportView(); draw(); return; }
      mode = name;
      for (const [k, v] of Object.entries(buttons)) v.classList.toggle("esm-on", k === mode);
    });
    buttons[name] = b;
  }
  buttons[mode] && buttons[mode].classList.add("esm-on");

  // legend (categories) or colour bar (numbers); names as textContent
  if (m.colorbar) {
    const title = el("div", "esm-cb-title", legend); title.textContent = m.colorbar.title;
    const ramp = el("canvas", "esm-ramp", legend); ramp.width = 160; ramp.height = 10;
    const rc = ramp.getContext("2d");
    const steps = m.colors.length - 1;
    for (let k = 0; k < steps; k++) { rc.fillStyle = m.colors[k]; rc.fillRect(k / steps * 160, 0, 160 / steps + 1, 10); }
    const ends = el("div", "esm-cb-ends", legend);
    const lo = el("span", "", ends), hi = el("span", "", ends);
    lo.textContent = Number(m.colorbar.min).toPrecision(3); hi.textContent = Number(m.colorbar.max).toPrecision(3);
  }
  for (const entry of m.legend || []) {
    const item = el("span", "esm-item", legend);
    const sw = el("span", "esm-swatch", item); sw.style.background = m.colors[entry.code];
    const name = el("span", "esm-name", item); name.textContent = entry.name;
  }
  if (m.n < m.total) {
    notice.textContent = `showing ${m.n.toLocaleString("en")} of ${m.total.toLocaleString("en")} points` +
      (m.density ? " · shading shows all of them" : "");
  } else notice.style.display = "none";

  // hooks for tests and benches: data -> screen pixels, and programmatic zoom
  root.__map = {
    toScreen: (x, y) => { const r = over.getBoundingClientRect(); return [r.left + px(x), r.top + py(y)]; },
    point: (i) => ({ x: m.x[i], y: m.y[i], row: m.row[i] }),
    rows: () => Array.from(m.row), xs: () => Array.from(m.x), ys: () => Array.from(m.y),
    rings: () => Array.from(m.ring), markers: () => (m.markers || []).map((k) => ({ ...k })), colors: () => m.colors, codes: () => Array.from(m.code), legend: () => m.legend,
    view: viewState, labels: () => shownLabels.slice(), viewKey, n: m.n,
    labelBoxes: () => { const r = over.getBoundingClientRect(); return shownBoxes.map((b) => [r.left + b[0], r.top + b[1], r.left + b[2], r.top + b[3]]); },
    setZoom: (z, cx, cy) => {
      const w = (full[1] - full[0]) / z, h = (full[3] - full[2]) / z;
      view = { x0: cx - w / 2, x1: cx + w / 2, y0: cy - h / 2, y1: cy + h / 2 };
      reportView(); draw();
    },
  };

  const observer = new ResizeObserver(() => { if (plot.clientWidth !== W) resize(); });
  observer.observe(root);
  resize();
  return () => {
    observer.disconnect();
    window.removeEventListener("mouseup", onUp);
    window.removeEventListener("mousemove", onMove);
    clearTimeout(hoverTimer); clearTimeout(viewTimer); cancelAnimationFrame(frame);
  };
}
