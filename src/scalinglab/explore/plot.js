/*
 * A small canvas plotting library for the explorer page: log/linear axes with decade ticks,
 * lines, points with error bars, a heat map with a colour bar, categorical maps and legends.
 * No dependencies; every drawing call takes a 2-D context and the transform of `axes`.
 * Browser only: sets the global `Plot`.
 */
'use strict';

self.Plot = (function () {
  // Okabe-Ito colours (distinguishable with colour-vision deficiencies).
  const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
  const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';
  const SMALL = '10px system-ui, -apple-system, "Segoe UI", sans-serif';

  /** Size the canvas backing store for the device pixel ratio; returns the 2-D context. */
  function prepare(canvas) {
    const dpr = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
    const w = canvas.clientWidth || canvas.width;
    const h = canvas.clientHeight || canvas.height;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    return { ctx: ctx, width: w, height: h };
  }

  /** [lo, hi] covering the finite (positive, for log axes) values, padded. */
  function extent(arrays, log, pad) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const arr of arrays) {
      for (const v of arr) {
        if (Number.isFinite(v) && (!log || v > 0)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    if (!Number.isFinite(lo)) return log ? [1e-3, 1] : [0, 1];
    const p = pad === undefined ? 0.05 : pad;
    if (log) {
      const a = Math.log10(lo);
      const b = Math.log10(hi);
      const span = Math.max(b - a, 0.3);
      return [Math.pow(10, a - p * span), Math.pow(10, b + p * span)];
    }
    const span = Math.max(hi - lo, Math.abs(hi) * 1e-3, 1e-300);
    return [lo - p * span, hi + p * span];
  }

  function formatTick(v) {
    if (v === 0) return '0';
    const e = Math.log10(Math.abs(v));
    if (Math.abs(e - Math.round(e)) < 1e-9) {
      const k = Math.round(e);
      if (k >= -2 && k <= 3) return String(Math.pow(10, k));
      return '1e' + k;
    }
    const short = Number(v.toPrecision(3));
    return Math.abs(v) < 1e-2 || Math.abs(v) >= 1e4 ?
      short.toExponential().replace('e+', 'e') : short.toString();
  }

  function ticks(lo, hi, log) {
    const out = [];
    if (log) {
      const a = Math.ceil(Math.log10(lo) - 1e-9);
      const b = Math.floor(Math.log10(hi) + 1e-9);
      const every = Math.max(1, Math.ceil((b - a + 1) / 7));
      for (let k = a; k <= b; k++) {
        if ((k - a) % every === 0) out.push(Math.pow(10, k));
      }
      if (out.length >= 2) return out;
      // under two decades shown: 1, 2, 5 per decade, or the linear ticks of a narrow range
      if (Math.log10(hi / lo) < 0.6) return ticks(lo, hi, false).filter((v) => v > 0);
      out.length = 0;
      for (let k = a - 1; k <= b; k++) {
        for (const m of [1, 2, 5]) {
          const v = m * Math.pow(10, k);
          if (v >= lo && v <= hi) out.push(v);
        }
      }
      return out;
    }
    const raw = (hi - lo) / 5;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12 * step; v += step) {
      out.push(Math.abs(v) < 1e-12 * step ? 0 : v);
    }
    return out;
  }

  /**
   * Draw a frame, ticks, labels and title; returns the transform {x(v), y(v), box, ...}.
   * opts: {x: [lo, hi], y: [lo, hi], xlog, ylog, xlabel, ylabel, title}
   */
  function axes(frame, opts) {
    const ctx = frame.ctx;
    const box = { left: 62, top: 24, right: frame.width - 12, bottom: frame.height - 40 };
    const xl = opts.xlog ? Math.log10 : (v) => v;
    const yl = opts.ylog ? Math.log10 : (v) => v;
    const [x0, x1] = opts.x.map(xl);
    const [y0, y1] = opts.y.map(yl);
    const tr = {
      box: box,
      xlog: !!opts.xlog,
      ylog: !!opts.ylog,
      x: (v) => box.left + ((xl(v) - x0) / (x1 - x0)) * (box.right - box.left),
      y: (v) => box.bottom - ((yl(v) - y0) / (y1 - y0)) * (box.bottom - box.top),
      invX: (px) => {
        const u = x0 + ((px - box.left) / (box.right - box.left)) * (x1 - x0);
        return opts.xlog ? Math.pow(10, u) : u;
      },
      invY: (py) => {
        const u = y0 + ((box.bottom - py) / (box.bottom - box.top)) * (y1 - y0);
        return opts.ylog ? Math.pow(10, u) : u;
      },
    };
    ctx.save();
    ctx.strokeStyle = '#e5e5e5';
    ctx.lineWidth = 1;
    ctx.font = SMALL;
    ctx.fillStyle = '#333';
    // grid line and label of each tick: vertical ones along x, horizontal ones along y
    const gridLines = (values, place, vertical) => {
      for (const v of values) {
        const p = place(v);
        const [lo, hi] = vertical ? [box.left, box.right] : [box.top, box.bottom];
        if (p < lo - 0.5 || p > hi + 0.5) continue;
        ctx.beginPath();
        ctx.moveTo(vertical ? p : box.left, vertical ? box.top : p);
        ctx.lineTo(vertical ? p : box.right, vertical ? box.bottom : p);
        ctx.stroke();
        ctx.fillText(formatTick(v), vertical ? p : box.left - 4, vertical ? box.bottom + 4 : p);
      }
    };
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    gridLines(ticks(opts.x[0], opts.x[1], opts.xlog), tr.x, true);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    gridLines(ticks(opts.y[0], opts.y[1], opts.ylog), tr.y, false);
    ctx.strokeStyle = '#555';
    ctx.strokeRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
    ctx.font = FONT;
    ctx.fillStyle = '#111';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    if (opts.xlabel) ctx.fillText(opts.xlabel, (box.left + box.right) / 2, frame.height - 4);
    if (opts.title) {
      ctx.textBaseline = 'top';
      ctx.fillText(opts.title, (box.left + box.right) / 2, 4);
    }
    if (opts.ylabel) {
      ctx.translate(12, (box.top + box.bottom) / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = 'middle';
      ctx.fillText(opts.ylabel, 0, 0);
    }
    ctx.restore();
    return tr;
  }

  function clip(ctx, tr) {
    const b = tr.box;
    ctx.save();
    ctx.beginPath();
    ctx.rect(b.left, b.top, b.right - b.left, b.bottom - b.top);
    ctx.clip();
  }

  function usable(tr, x, y) {
    return Number.isFinite(x) && Number.isFinite(y) && (!tr.xlog || x > 0) && (!tr.ylog || y > 0);
  }

  /** A polyline, broken at non-finite (or non-positive on log axes) values. */
  function line(frame, tr, xs, ys, style) {
    const ctx = frame.ctx;
    clip(ctx, tr);
    ctx.strokeStyle = style.color || '#000';
    ctx.lineWidth = style.width || 1.6;
    ctx.setLineDash(style.dash || []);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < xs.length; i++) {
      if (!usable(tr, xs[i], ys[i])) {
        pen = false;
        continue;
      }
      const px = tr.x(xs[i]);
      const py = Math.max(-1e4, Math.min(1e4, tr.y(ys[i])));
      if (pen) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      pen = true;
    }
    ctx.stroke();
    ctx.restore();
  }

  /** Markers with vertical error bars (errs may be null; bars clipped to positive values). */
  function points(frame, tr, xs, ys, errs, style) {
    const ctx = frame.ctx;
    clip(ctx, tr);
    ctx.strokeStyle = style.color || '#000';
    ctx.fillStyle = style.fill || '#fff';
    ctx.lineWidth = 1.2;
    ctx.setLineDash([]);
    const r = style.radius || 3.2;
    for (let i = 0; i < xs.length; i++) {
      if (!usable(tr, xs[i], ys[i])) continue;
      const px = tr.x(xs[i]);
      const py = tr.y(ys[i]);
      const err = errs ? errs[i] : 0;
      if (err > 0 && Number.isFinite(err)) {
        const lo = ys[i] - err;
        const top = tr.y(ys[i] + err);
        const bottom = tr.ylog && lo <= 0 ? tr.box.bottom + 4 : tr.y(lo);
        ctx.beginPath();
        ctx.moveTo(px, top);
        ctx.lineTo(px, bottom);
        ctx.moveTo(px - 3, top);
        ctx.lineTo(px + 3, top);
        if (!(tr.ylog && lo <= 0)) {
          ctx.moveTo(px - 3, bottom);
          ctx.lineTo(px + 3, bottom);
        }
        ctx.stroke();
      }
      ctx.beginPath();
      ctx.arc(px, py, r, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    ctx.restore();
  }

  /** Legend entries [{label, color, dash, marker}] in the top-right (or `corner`) of the box. */
  function legend(frame, tr, items, corner) {
    if (!items.length) return;
    const ctx = frame.ctx;
    ctx.save();
    ctx.font = SMALL;
    const width = 30 + Math.max(...items.map((it) => ctx.measureText(it.label).width));
    const height = 14 * items.length + 6;
    const b = tr.box;
    const left = corner === 'left' ? b.left + 6 : b.right - width - 6;
    const top = corner === 'bottom' ? b.bottom - height - 6 : b.top + 6;
    ctx.fillStyle = 'rgba(255,255,255,0.85)';
    ctx.fillRect(left, top, width, height);
    ctx.textBaseline = 'middle';
    items.forEach((it, k) => {
      const y = top + 10 + 14 * k;
      ctx.strokeStyle = it.color;
      ctx.lineWidth = 1.6;
      ctx.setLineDash(it.dash || []);
      if (it.marker) {
        ctx.fillStyle = '#fff';
        ctx.beginPath();
        ctx.arc(left + 13, y, 3, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      } else {
        ctx.beginPath();
        ctx.moveTo(left + 4, y);
        ctx.lineTo(left + 22, y);
        ctx.stroke();
      }
      ctx.fillStyle = '#222';
      ctx.fillText(it.label, left + 26, y);
    });
    ctx.restore();
  }

  /** Viridis colour map (polynomial fit), t in [0, 1] -> [r, g, b] bytes. */
  function viridis(t) {
    const c0 = [0.2777273272234177, 0.005407344544966578, 0.3340998053353061];
    const c1 = [0.1050930431085774, 1.404613529898575, 1.384590162594685];
    const c2 = [-0.3308618287255563, 0.214847559468213, 0.09509516302823659];
    const c3 = [-4.634230498983486, -5.799100973351585, -19.33244095627987];
    const c4 = [6.228269936347081, 14.17993336680509, 56.69055260068105];
    const c5 = [4.776384997670288, -13.74514537774601, -65.35303263337234];
    const c6 = [-5.435455855934631, 4.645852612178535, 26.3124352495832];
    const out = [0, 0, 0];
    for (let k = 0; k < 3; k++) {
      const v = c0[k] + t * (c1[k] + t * (c2[k] + t * (c3[k] + t * (c4[k] + t * (c5[k] +
        t * c6[k])))));
      out[k] = Math.round(255 * Math.min(1, Math.max(0, v)));
    }
    return out;
  }

  function hexToRgb(hex) {
    const v = parseInt(hex.slice(1), 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }

  /**
   * Cells of a grid (xs, ys: cell centres, log-spaced on log axes) filled with colour(value):
   * values[j][i] at (xs[i], ys[j]). colour returns [r, g, b] or null (transparent).
   */
  function cells(frame, tr, xs, ys, values, colour) {
    const ctx = frame.ctx;
    clip(ctx, tr);
    const edges = (vs, log) => {
      const e = [];
      const f = log ? Math.log10 : (v) => v;
      const g = log ? (v) => Math.pow(10, v) : (v) => v;
      for (let i = 0; i <= vs.length; i++) {
        const a = f(vs[Math.max(i - 1, 0)]);
        const b = f(vs[Math.min(i, vs.length - 1)]);
        const mid = i === 0 ? a - (f(vs[1]) - a) / 2 : i === vs.length ?
          b + (b - f(vs[vs.length - 2])) / 2 : (a + b) / 2;
        e.push(g(mid));
      }
      return e;
    };
    const ex = edges(xs, tr.xlog).map(tr.x);
    const ey = edges(ys, tr.ylog).map(tr.y);
    for (let j = 0; j < ys.length; j++) {
      for (let i = 0; i < xs.length; i++) {
        const rgb = colour(values[j][i]);
        if (!rgb) continue;
        ctx.fillStyle = `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
        const x0 = Math.floor(ex[i]);
        const y1 = Math.floor(ey[j + 1]);
        ctx.fillRect(x0, y1, Math.ceil(ex[i + 1]) - x0, Math.ceil(ey[j]) - y1);
      }
    }
    ctx.restore();
  }

  /** A vertical colour bar right of the box for [lo, hi] of log10 values. */
  function colorbar(frame, tr, lo, hi, label) {
    const ctx = frame.ctx;
    const b = tr.box;
    const x = b.right + 10;
    const h = b.bottom - b.top;
    for (let k = 0; k < h; k++) {
      const rgb = viridis(1 - k / h);
      ctx.fillStyle = `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
      ctx.fillRect(x, b.top + k, 12, 1.5);
    }
    ctx.save();
    ctx.font = SMALL;
    ctx.fillStyle = '#333';
    ctx.textBaseline = 'middle';
    const a = Math.ceil(lo);
    const c = Math.floor(hi);
    const every = Math.max(1, Math.ceil((c - a + 1) / 6));
    for (let k = a; k <= c; k += every) {
      const y = b.bottom - ((k - lo) / (hi - lo)) * h;
      ctx.fillText('1e' + k, x + 15, y);
    }
    if (label) {
      ctx.textAlign = 'center';
      ctx.fillText(label, x + 20, b.top - 10);
    }
    ctx.restore();
  }

  return {
    PALETTE, prepare, extent, ticks, formatTick, axes, line, points, legend, viridis, hexToRgb,
    cells, colorbar,
  };
})();
