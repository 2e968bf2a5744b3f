// The page of `sketch serve`: sends text to POST /api/write, draws the strokes it gets back as they
// would be written, offers downloads (POST /api/export), and captures the user's own line on a
// canvas as a primer (sent with /api/write; saved as a style file with POST /api/style).
"use strict";

const $ = (id) => document.getElementById(id);
const SVG_NS = "http://www.w3.org/2000/svg";
const DRAWN = "__drawn";

const state = {
  model: null,       // GET /api/model
  written: null,     // the last answer of /api/write
  myStyle: null,     // {strokes, text}: the line drawn on the canvas, once used as the style
  pad: [],           // strokes being drawn on the canvas: [[x, y, x, y, ...], ...]
  animation: 0,      // the requestAnimationFrame id of the drawing in progress
};

function status(message, isError = false) {
  const el = $("status");
  el.textContent = message;
  el.classList.toggle("error", isError);
}

// A JSON request; an error answer ({"error": {"status", "message"}}) becomes an Error with its message.
async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).error.message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

async function loadModel() {
  try {
    state.model = await (await api("/api/model")).json();
  } catch (error) {
    $("model-info").textContent = "The server did not answer: " + error.message;
    return;
  }
  const m = state.model;
  $("model-info").textContent =
    `Model ${m.experiment}: ${m.alphabet.length} characters, ${m.styles.length} styles; ` +
    `up to ${m.limits.maxLines} lines of ${m.limits.maxCharactersPerLine} characters per request.`;
  $("bias").value = m.defaultBias;
  $("bias-value").textContent = m.defaultBias;
  fillStyles();
}

function fillStyles() {
  const select = $("style");
  const chosen = select.value;
  select.replaceChildren();
  const add = (value, label) => {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    select.append(option);
  };
  add("", "the model's own (no primer)");
  for (const name of state.model ? state.model.styles : []) add(name, name);
  if (state.myStyle) add(DRAWN, `my handwriting ("${state.myStyle.text}")`);
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : (state.model?.styles[0] ?? "");
}

async function write() {
  const text = $("text").value;
  const request = { text, bias: Number($("bias").value), seed: Math.max(0, Math.floor(Number($("seed").value) || 0)) };
  const style = $("style").value;
  if (style === DRAWN && state.myStyle) request.primer = state.myStyle;
  else if (style) request.style = style;
  $("write").disabled = true;
  status("Writing…");
  try {
    state.written = await (await api("/api/write", request)).json();
    const lines = state.written.lines;
    const retried = lines.filter((l) => l.draws > 1).length;
    status(
      `Wrote ${lines.length} line${lines.length === 1 ? "" : "s"} in ${state.written.seconds.toFixed(1)} s` +
      (retried ? ` (${retried} drawn again by the guard)` : "") + ".");
    draw(lines);
    for (const id of ["download-svg", "download-png", "download-gcode"]) $(id).disabled = false;
  } catch (error) {
    status(error.message, true);
  } finally {
    $("write").disabled = false;
  }
}

// The written lines, one under the other (as `sketch write` lays them out), drawn point by point.
function draw(lines) {
  cancelAnimationFrame(state.animation);
  const svg = $("writing");
  svg.replaceChildren();
  svg.dataset.done = "false";
  const boxes = lines.map((line) => {
    const xs = line.strokes.flatMap((s) => s.filter((_, k) => k % 2 === 0));
    const ys = line.strokes.flatMap((s) => s.filter((_, k) => k % 2 === 1));
    return xs.length ? [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)] : [0, 1, 0, 1];
  });
  const height = Math.max(1, ...boxes.map((b) => b[3] - b[2])) * 1.2;
  const margin = height * 0.2;
  const width = Math.max(1, ...boxes.map((b) => b[1] - b[0])) + 2 * margin;
  svg.setAttribute("viewBox", `0 0 ${width.toFixed(1)} ${(lines.length * height + 2 * margin).toFixed(1)}`);
  const group = document.createElementNS(SVG_NS, "g");
  group.setAttribute("stroke-width", $("stroke-width").value * height / 60);
  svg.append(group);
  // Every point in writing order: [path, x, y, first point of its stroke].
  const points = [];
  lines.forEach((line, k) => {
    const ox = margin - boxes[k][0], oy = margin + k * height - boxes[k][2];
    for (const stroke of line.strokes) {
      const path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", "");
      for (let j = 0; j < stroke.length; j += 2) points.push([path, stroke[j] + ox, stroke[j + 1] + oy, j === 0]);
      group.append(path);
    }
  });
  svg.dataset.strokes = String(group.childElementCount);
  const perFrame = Number($("speed").value) || points.length;
  let next = 0;
  const step = () => {
    const end = Math.min(points.length, next + perFrame);
    for (; next < end; next++) {
      const [path, x, y, first] = points[next];
      // A one-point stroke (a dot) is a zero-length line, which round caps draw as a dot.
      const d = first ? `M${x.toFixed(1)} ${y.toFixed(1)} l0 0` : ` L${x.toFixed(1)} ${y.toFixed(1)}`;
      path.setAttribute("d", path.getAttribute("d") + d);
    }
    if (next < points.length) state.animation = requestAnimationFrame(step);
    else svg.dataset.done = "true";
  };
  step();
}

async function download(format) {
  if (!state.written) return;
  const lines = state.written.lines.map((l) => l.strokes);
  try {
    const response = await api("/api/export", { format, lines, penWidth: Number($("stroke-width").value) });
    save(await response.blob(), fileName(response, "handwriting." + format));
    status(`Downloaded ${format === "gcode" ? "G-code" : format.toUpperCase()}.`);
  } catch (error) {
    status(error.message, true);
  }
}

function fileName(response, fallback) {
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  return match ? match[1] : fallback;
}

function save(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// The canvas: pointer events (mouse, pen, touch) recorded as strokes in canvas pixels.
function setUpPad() {
  const pad = $("pad");
  const ctx = pad.getContext("2d");
  ctx.lineWidth = 3;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#1b1f3b";
  let drawing = null;
  const at = (event) => {
    const r = pad.getBoundingClientRect();
    return [(event.clientX - r.left) * pad.width / r.width, (event.clientY - r.top) * pad.height / r.height];
  };
  pad.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    drawing = at(event);
    state.pad.push([...drawing]);
    ctx.beginPath();
    ctx.moveTo(...drawing);
    ctx.lineTo(...drawing);
    ctx.stroke();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) {
      const p = at(e);
      if (Math.hypot(p[0] - drawing[0], p[1] - drawing[1]) < 1) continue;
      ctx.beginPath();
      ctx.moveTo(...drawing);
      ctx.lineTo(...p);
      ctx.stroke();
      state.pad[state.pad.length - 1].push(...p);
      drawing = p;
    }
  });
  const end = () => { drawing = null; };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);
  $("pad-clear").addEventListener("click", () => {
    state.pad = [];
    ctx.clearRect(0, 0, pad.width, pad.height);
  });
  $("pad-use").addEventListener("click", () => {
    const primer = padPrimer();
    if (!primer) return;
    state.myStyle = primer;
    fillStyles();
    $("style").value = DRAWN;
    status("Your line is the style now: press Write.");
  });
  $("pad-save").addEventListener("click", async () => {
    const primer = padPrimer();
    if (!primer) return;
    try {
      const response = await api("/api/style", primer);
      save(await response.blob(), fileName(response, "my-handwriting.svg"));
      status("Saved your line as a style file.");
    } catch (error) {
      status(error.message, true);
    }
  });
}

function padPrimer() {
  const text = $("pad-text").value.trim();
  if (!state.pad.some((s) => s.length >= 4)) { status("Write a line on the canvas first.", true); return null; }
  if (!text) { status("Type what you wrote on the canvas.", true); return null; }
  return { strokes: state.pad.map((s) => s.map((v) => Math.round(v * 10) / 10)), text };
}

document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["bias", "stroke-width"]) {
    $(id).addEventListener("input", () => { $(id + "-value").textContent = $(id).value; });
  }
  $("stroke-width").addEventListener("input", () => {
    const g = $("writing").querySelector("g");
    if (g && state.written) g.setAttribute("stroke-width", $("stroke-width").value * currentLineHeight() / 60);
  });
  $("write").addEventListener("click", write);
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) write();
  });
  $("download-svg").addEventListener("click", () => download("svg"));
  $("download-png").addEventListener("click", () => download("png"));
  $("download-gcode").addEventListener("click", () => download("gcode"));
  setUpPad();
  loadModel();
});

// The height of one line of writing in the drawing's units (its viewBox over the lines).
function currentLineHeight() {
  const box = $("writing").viewBox.baseVal;
  const n = state.written ? state.written.lines.length : 1;
  return box.height / (n + 0.4);
}
