/*
 * The explorer page: controls, URL parameters, user data and the seven panels.
 *
 * Every number drawn comes from ScalingTheory (theory.js, the port of scalinglab.theory) or, for
 * loss vs steps, ScalingDynamics (dynamics.js, the port of scalinglab.dynamics.theory). A
 * control's `input` event redraws every panel synchronously at interactive resolution (the time
 * is kept in window.explorer.timings); 250 ms after the last move the panels are redrawn at full
 * resolution and the compute-optimal path (about 85 solves per budget) is added.
 */
(function () {
  'use strict';
  const Th = window.ScalingTheory;
  const Dy = window.ScalingDynamics;
  const Plot = window.Plot;
  const config = JSON.parse(document.getElementById('explore-config').textContent);

  // ------------------------------------------------------------------ controls
  // kind 'log': the slider moves log10(value); `integer` values are rounded.
  const CONTROLS = [
    { key: 'alpha', label: 'alpha', kind: 'lin', min: 0.05, max: 3, step: 0.01,
      help: 'spectral exponent: λ_J = λ₊ J^−(1+α)' },
    { key: 'M', label: 'M', kind: 'log', min: 1, max: 7, step: 0.01, integer: true,
      help: 'latent dimension' },
    { key: 'lambda_plus', label: 'lambda_plus', kind: 'log', min: -3, max: 3, step: 0.01,
      help: 'largest latent eigenvalue λ₊' },
    { key: 'sigma_u', label: 'sigma_u', kind: 'log', min: -2, max: 2, step: 0.01,
      help: 'feature scale: U_iJ ~ N(0, σ_u²/M)' },
    { key: 'sigma_w', label: 'sigma_w', kind: 'log', min: -2, max: 2, step: 0.01,
      help: 'teacher scale: w_J ~ N(0, σ_w²/M)' },
    { key: 'noise', label: 'noise', kind: 'lin', min: 0, max: 2, step: 0.01,
      help: 'label-noise standard deviation σ_ε' },
    { key: 'ridge', label: 'ridge', kind: 'log', min: -12, max: 4, step: 0.05,
      help: 'ridge γ on the raw Gram FᵀF (0: exact ridgeless limit)' },
    { key: 'N', label: 'N (point)', kind: 'log', min: 0, max: 8, step: 0.01, integer: true,
      help: 'features at the point read out below' },
    { key: 'T', label: 'T (point)', kind: 'log', min: 0, max: 8, step: 0.01, integer: true,
      help: 'samples at the point read out below' },
    { key: 'N_min', label: 'N from', kind: 'log', min: 0, max: 8, step: 0.05, integer: true },
    { key: 'N_max', label: 'N to', kind: 'log', min: 0, max: 8, step: 0.05, integer: true },
    { key: 'T_min', label: 'T from', kind: 'log', min: 0, max: 8, step: 0.05, integer: true },
    { key: 'T_max', label: 'T to', kind: 'log', min: 0, max: 8, step: 0.05, integer: true },
    { key: 'lr_fraction', label: 'lr / limit', kind: 'lin', min: 0.01, max: 0.95, step: 0.01,
      help: 'learning rate as a fraction of each N\'s stable limit (SGD: 2b/(tr C + (b+1) ' +
        'c_max); GD: 2/x_max of FᵀF/T)' },
    { key: 'batch', label: 'batch', kind: 'log', min: 0, max: 3, step: 0.01, integer: true,
      help: 'SGD: fresh samples per update (samples seen = steps × batch)' },
    { key: 'steps_max', label: 'steps to', kind: 'log', min: 1, max: 5, step: 0.05,
      integer: true, help: 'the last update drawn; the loss after it is read out' },
  ];
  // the selects of the dynamics panel and their choices
  const CHOICES = { optimizer: ['sgd', 'gd'], schedule: Dy.SCHEDULES };
  const BY_KEY = Object.fromEntries(CONTROLS.map((c) => [c.key, c]));
  const MODEL_KEYS = ['M', 'alpha', 'lambda_plus', 'sigma_u', 'sigma_w', 'noise'];

  const state = Object.assign({}, config.defaults);
  const messages = [];
  // embedded tables arrive as {name, columns, values}: rows of values in column order
  const datasets = (config.data || []).map((d) => ({ name: d.name, rows: normaliseRows(
    d.values.map((v) => Object.fromEntries(d.columns.map((c, i) => [c, v[i]])))) }));

  const el = (id) => document.getElementById(id);

  function roundValue(control, value) {
    if (control.integer) return Math.max(1, Math.round(value));
    return Number(value.toPrecision(4));
  }

  function sliderPosition(control, value) {
    if (control.kind === 'log') return value > 0 ? Math.log10(value) : control.min;
    return value;
  }

  function formatValue(v) {
    if (v === 0) return '0';
    if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
    const short = Number(v.toPrecision(6));
    return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? String(short) :
      short.toExponential().replace('e+', 'e');
  }

  function validValue(key, v) {
    if (!Number.isFinite(v)) return false;
    if (key === 'lr_fraction') return v > 0 && v < 1;
    if (key === 'batch' || key === 'steps_max') return v >= 1;
    if (key === 'noise' || key === 'ridge') return v >= 0;
    if (key === 'M' || key === 'N' || key === 'T' || key.endsWith('_min') || key.endsWith('_max')) {
      return v >= 1;
    }
    return v > 0;
  }

  function buildControls() {
    const box = el('controls');
    for (const c of CONTROLS) {
      const row = document.createElement('div');
      row.className = 'control';
      row.innerHTML = `<label for="slider-${c.key}" title="${c.help || ''}">${c.label}</label>` +
        `<input type="range" id="slider-${c.key}" min="${c.min}" max="${c.max}" ` +
        `step="${c.step}">` +
        `<input type="text" id="value-${c.key}" class="value" spellcheck="false">`;
      if (c.key === 'ridge') {
        row.innerHTML += '<div class="checks"><label><input type="checkbox" id="ridge-zero"> 0 ' +
          '(ridgeless)</label> <label><input type="checkbox" id="ridge-optimal"> optimal ridge ' +
          'γ*(N, T)</label></div>';
      }
      if (c.key === 'N') {
        box.insertAdjacentHTML('beforeend', '<h3>Point read out</h3>');
      }
      if (c.key === 'N_min') {
        box.insertAdjacentHTML('beforeend', '<h3>Ranges of the panels</h3>');
      }
      if (c.key === 'lr_fraction') {
        box.insertAdjacentHTML('beforeend', '<h3>Training dynamics (loss vs steps)</h3>' +
          '<div class="control"><label for="optimizer">optimizer</label><select id="optimizer">' +
          '<option value="sgd">one-pass SGD (batch, schedule)</option><option value="gd">' +
          'full-batch GD on T (point) samples</option></select></div>' +
          '<div class="control"><label for="schedule">schedule</label><select id="schedule">' +
          Dy.SCHEDULES.map((v) => `<option value="${v}">${v}</option>`).join('') +
          '</select></div>');
      }
      box.appendChild(row);
      const slider = el(`slider-${c.key}`);
      slider.addEventListener('input', () => {
        const pos = Number(slider.value);
        const raw = c.kind === 'log' ? Math.pow(10, pos) : pos;
        setParam(c.key, roundValue(c, raw), 'slider');
      });
      const text = el(`value-${c.key}`);
      text.addEventListener('change', () => {
        const v = Number(text.value);
        if (!validValue(c.key, v)) {
          text.classList.add('bad');
          return;
        }
        text.classList.remove('bad');
        setParam(c.key, c.integer ? Math.round(v) : v, 'text');
      });
    }
    el('ridge-zero').addEventListener('change', (ev) => {
      if (ev.target.checked) {
        state.ridgeBefore = state.ridge || state.ridgeBefore || 1e-3;
        setParam('ridge', 0, 'check');
      } else {
        setParam('ridge', state.ridgeBefore || 1e-3, 'check');
      }
    });
    for (const key of Object.keys(CHOICES)) {
      el(key).addEventListener('change', (ev) => setParam(key, ev.target.value, 'select'));
    }
    el('ridge-optimal').addEventListener('change', (ev) => {
      state.optimal = ev.target.checked;
      changed();
    });
    el('activation').addEventListener('change', (ev) => {
      if (ev.target.value !== 'linear') {
        ev.target.value = 'linear';
      }
    });
    el('use-data-params').addEventListener('click', useDataParameters);
    el('csv-input').addEventListener('change', (ev) => loadFiles(ev.target.files));
    el('landscape').addEventListener('click', (ev) => pickPoint(ev, 'landscape'));
    el('regimes').addEventListener('click', (ev) => pickPoint(ev, 'regimes'));
  }

  function syncControls() {
    for (const c of CONTROLS) {
      const v = state[c.key];
      const slider = el(`slider-${c.key}`);
      slider.value = String(sliderPosition(c, v));
      const text = el(`value-${c.key}`);
      if (document.activeElement !== text) text.value = formatValue(v);
    }
    el('slider-ridge').disabled = state.ridge === 0 || state.optimal;
    el('ridge-zero').checked = state.ridge === 0;
    el('ridge-optimal').checked = !!state.optimal;
    for (const key of Object.keys(CHOICES)) el(key).value = state[key];
    el('slider-batch').disabled = state.optimizer === 'gd';
    el('schedule').disabled = state.optimizer === 'gd';
  }

  function setParam(key, value, source) {
    state[key] = value;
    // keep the ranges ordered
    for (const axis of ['N', 'T']) {
      if (state[`${axis}_min`] >= state[`${axis}_max`]) {
        if (key === `${axis}_min`) state[`${axis}_max`] = state[`${axis}_min`] * 10;
        else state[`${axis}_min`] = Math.max(1, Math.floor(state[`${axis}_max`] / 10));
      }
    }
    if (source !== 'slider') syncControls();
    else {
      const text = el(`value-${key}`);
      text.value = formatValue(value);
    }
    changed();
  }

  // ------------------------------------------------------------------ URL query string
  function readQuery() {
    const query = new URLSearchParams(window.location.search);
    for (const [key, raw] of query.entries()) {
      if (key === 'optimal_ridge') {
        state.optimal = raw === '1' || raw === 'true';
        continue;
      }
      if (key === 'activation') {
        if (raw !== 'linear') {
          messages.push(`activation=${raw}: only the linear feature map runs in the page ` +
            '(see "Feature map"); showing linear.');
        }
        continue;
      }
      if (key === 'ridge' && raw === 'optimal') {
        state.optimal = true;
        continue;
      }
      if (key in CHOICES) {
        if (CHOICES[key].includes(raw)) {
          state[key] = raw;
        } else {
          messages.push(`The '${key}' parameter must be one of ${CHOICES[key].join(', ')}. ` +
            `Got '${raw}' instead.`);
        }
        continue;
      }
      if (!(key in BY_KEY)) {
        messages.push(`Unknown parameter '${key}' in the address, ignored. Known: ` +
          `${CONTROLS.map((c) => c.key).join(', ')}, optimizer, schedule, optimal_ridge, ` +
          'activation.');
        continue;
      }
      const v = Number(raw);
      if (!validValue(key, v)) {
        messages.push(`The '${key}' parameter must be a number in range. Got '${raw}' instead.`);
        continue;
      }
      state[key] = BY_KEY[key].integer ? Math.round(v) : v;
    }
    for (const axis of ['N', 'T']) {
      if (state[`${axis}_min`] >= state[`${axis}_max`]) {
        messages.push(`The '${axis}_min' parameter must be below ${axis}_max. Got ` +
          `${state[`${axis}_min`]} and ${state[`${axis}_max`]} instead; using the defaults.`);
        state[`${axis}_min`] = config.defaults[`${axis}_min`];
        state[`${axis}_max`] = config.defaults[`${axis}_max`];
      }
    }
  }

  function queryString() {
    const parts = [];
    for (const c of CONTROLS) {
      if (state[c.key] !== config.defaults[c.key]) parts.push(`${c.key}=${state[c.key]}`);
    }
    for (const key of Object.keys(CHOICES)) {
      if (state[key] !== config.defaults[key]) parts.push(`${key}=${state[key]}`);
    }
    if (state.optimal) parts.push('optimal_ridge=1');
    return parts.join('&');
  }

  /** The view's address in the share field and, when `history`, in the address bar. */
  function writeQuery(history) {
    const q = queryString();
    const url = window.location.href.split('?')[0].split('#')[0] + (q ? `?${q}` : '');
    el('share-link').value = url;
    if (!history) return;
    try {
      window.history.replaceState(null, '', url);
    } catch (err) {
      // some browsers refuse history changes on file:// pages; the link field still has it
    }
  }

  // ------------------------------------------------------------------ user data
  function normaliseRows(rows) {
    const out = [];
    for (const row of rows) {
      const r = {};
      for (const [k, v] of Object.entries(row)) {
        const num = typeof v === 'number' ? v : v === '' || v === null ? NaN : Number(v);
        r[k] = Number.isNaN(num) && typeof v === 'string' && v !== '' ? v : num;
      }
      if (!('loss' in r) && 'loss_mean' in r) r.loss = r.loss_mean; // legacy schema
      if (Number.isFinite(r.N) && Number.isFinite(r.T) && Number.isFinite(r.loss) && r.loss > 0) {
        out.push(r);
      }
    }
    return out;
  }

  function parseCsv(text) {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (lines.length < 2) throw new Error('the file has no data rows');
    const split = (line) => line.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
    const header = split(lines[0]);
    for (const need of ['N', 'T']) {
      if (!header.includes(need)) throw new Error(`it has no '${need}' column`);
    }
    if (!header.includes('loss') && !header.includes('loss_mean')) {
      throw new Error("it has no 'loss' column");
    }
    return lines.slice(1).map((line) => {
      const cells = split(line);
      return Object.fromEntries(header.map((h, i) => [h, cells[i]]));
    });
  }

  function loadFiles(files) {
    const list = Array.from(files || []);
    return Promise.all(list.map((file) => file.text().then((text) => {
      try {
        const raw = parseCsv(text);
        const rows = normaliseRows(raw);
        if (!rows.length) throw new Error('no row has finite N, T and a positive loss');
        datasets.push({ name: file.name, rows: rows });
        const skipped = raw.length - rows.length;
        note(`Loaded ${rows.length} rows from ${file.name}` + (skipped ? ` (${skipped} without ` +
          'finite N, T and a positive loss skipped).' : '.'), skipped > 0);
      } catch (err) {
        note(`Could not read ${file.name} as a results CSV: ${err.message}.`, true);
      }
    }))).then(() => changed(true));
  }

  function matches(row) {
    for (const key of MODEL_KEYS) {
      if (key in row && Number.isFinite(row[key])) {
        const want = state[key];
        if (Math.abs(row[key] - want) > 1e-6 * Math.max(Math.abs(want), 1e-300)) return false;
      }
    }
    if (typeof row.activation === 'string' && row.activation !== 'linear') return false;
    if (Number.isFinite(row.sigma_b) && row.sigma_b !== 0) return false; // not the linear model
    if (!state.optimal && 'ridge' in row && Number.isFinite(row.ridge)) {
      const r = state.ridge;
      if (Math.abs(row.ridge - r) > 1e-6 * Math.max(r, 1e-300)) return false;
    }
    return true;
  }

  /** Rows of training curves (a `step` column, `scalinglab dynamics`) go to loss vs steps. */
  function isCurveRow(row) {
    return Number.isFinite(row.step);
  }

  function matchedRows() {
    const rows = [];
    let total = 0;
    for (const d of datasets) {
      total += d.rows.length;
      for (const r of d.rows) if (!isCurveRow(r) && matches(r)) rows.push(r);
    }
    return { rows: rows, total: total };
  }

  /**
   * Training-curve rows drawn on loss vs steps: the model's parameters, the optimizer, batch
   * (SGD) or T (GD), the schedule, and the absolute lr equal to the page's for that row's N.
   */
  function matchedCurveRows() {
    const rows = [];
    const M = Math.floor(state.M);
    for (const d of datasets) {
      for (const r of d.rows) {
        if (!isCurveRow(r) || !matches(r) || !(r.step >= 1 && r.step <= state.steps_max)) continue;
        if (typeof r.optimizer === 'string' && r.optimizer !== state.optimizer) continue;
        const gd = state.optimizer === 'gd';
        if (gd ? r.T !== state.T : Number.isFinite(r.batch) && r.batch !== state.batch) continue;
        if (!gd && typeof r.schedule === 'string' && r.schedule !== state.schedule) continue;
        if (!(r.N < M)) continue;
        try {
          const lr = state.lr_fraction * stableLr(r.N);
          if (Number.isFinite(r.lr) && Math.abs(r.lr - lr) > 1e-6 * lr) continue;
        } catch (err) {
          continue;
        }
        rows.push(r);
      }
    }
    return rows;
  }

  /** The stable learning rate of N features for the current optimizer (cached). */
  function stableLr(N) {
    const d = dynContext();
    const model = Object.assign({ noise: state.noise }, d.model);
    return state.optimizer === 'gd' ? Dy.gdStableLr(model, N, state.T, d.quad, d.cache) :
      Dy.theoryStableLr(model, N, state.batch, d.quad, d.cache);
  }

  function useDataParameters() {
    const first = datasets.length ? datasets[0].rows[0] : null;
    if (!first) return;
    for (const key of MODEL_KEYS.concat(['ridge'])) {
      if (key in first && Number.isFinite(first[key])) state[key] = first[key];
    }
    if ('ridge' in first) state.optimal = false;
    if (isCurveRow(first)) {
      // the training run of the first row: its optimizer, batch or T, schedule, N and lr
      if (CHOICES.optimizer.includes(first.optimizer)) state.optimizer = first.optimizer;
      if (CHOICES.schedule.includes(first.schedule)) state.schedule = first.schedule;
      if (state.optimizer === 'gd' && Number.isFinite(first.T)) state.T = first.T;
      if (state.optimizer === 'sgd' && Number.isFinite(first.batch)) state.batch = first.batch;
      state.N = first.N;
      const last = Math.max(...datasets[0].rows.filter(isCurveRow).map((r) => r.step));
      state.steps_max = Math.max(1, last);
      try {
        if (Number.isFinite(first.lr)) state.lr_fraction = first.lr / stableLr(first.N);
      } catch (err) {
        note(`The data's learning rate could not be matched: ${err.message}`, true);
      }
    }
    syncControls();
    changed(true);
  }

  function note(text, bad) {
    const box = el('messages');
    const p = document.createElement('p');
    p.textContent = text;
    if (bad) p.className = 'bad';
    box.appendChild(p);
  }

  // ------------------------------------------------------------------ theory context
  let theoryKey = '';
  let ctx = null;

  function context() {
    const M = Math.max(1, Math.floor(state.M));
    const key = [M, state.alpha, state.lambda_plus, state.sigma_w, state.sigma_u].join('|');
    if (key !== theoryKey) {
      theoryKey = key;
      const spectrum = Th.spectrumOf({ M: M, alpha: state.alpha, lambda_plus: state.lambda_plus,
        sigma_w: state.sigma_w });
      ctx = { spectrum: spectrum, fs: (state.sigma_u * state.sigma_u) / M, cache: new Map() };
    }
    if (ctx.cache.size > 50000) ctx.cache.clear(); // Delta_P per P: bounded over long sessions
    return ctx;
  }

  /** Losses (and regimes) at points, at the state's ridge or the optimal ridge. */
  function losses(Ns, Ts, ridge) {
    const c = context();
    if (ridge === 'optimal') {
      const v = state.noise * state.noise;
      const opt = Th.optimalRidgeMany(c.spectrum, Ns, Ts, Ns.map(() => v), c.fs, c.cache);
      const regime = Ns.map((N, i) => Th.classifyRegime(N, Ts[i], opt.ridge[i], opt.d1[i],
        c.spectrum.M));
      return { loss: opt.loss, regime: regime, ridge: opt.ridge };
    }
    const loss = new Array(Ns.length);
    const regime = new Array(Ns.length);
    for (let i = 0; i < Ns.length; i++) {
      const r = Th.evaluate(c.spectrum, Ns[i], Ts[i], ridge, state.noise, c.fs, c.cache);
      loss[i] = r.loss;
      regime[i] = r.regime;
    }
    return { loss: loss, regime: regime };
  }

  function currentRidge() {
    return state.optimal ? 'optimal' : state.ridge;
  }

  function logspace(lo, hi, n) {
    const a = Math.log10(lo);
    const b = Math.log10(hi);
    const out = [];
    for (let i = 0; i < n; i++) out.push(Math.pow(10, a + ((b - a) * i) / (n - 1)));
    return out;
  }

  /**
   * The values of curves (ys[k][i] at sizes Ns[k][i], Ts[k][i]) more than 25 % away from N = T,
   * where the ridgeless loss diverges: the loss axis is fitted to these so the peak is clipped.
   */
  function awayFromPeak(curves, Ns, Ts) {
    return curves.map((ys, k) => ys.filter((_, i) =>
      Math.abs(Math.log(Ns[k][i] / Ts[k][i])) > Math.log(1.25)));
  }

  function niceRound(v) {
    return Math.max(1, Number(v.toPrecision(2)));
  }

  // ------------------------------------------------------------------ panels
  const REGIME_COLORS = {
    power_law: '#0072B2',
    breakdown: '#56B4E9',
    plateau_N: '#E69F00',
    plateau_T: '#D55E00',
    saturated: '#009E73',
    ridge_limited: '#CC79A7',
    interpolation_peak: '#000000',
  };

  function lossAxisLabel() {
    return state.optimal ? 'test loss at the optimal ridge' : 'test loss';
  }

  /** Curve values of the other axis: the data's (most frequent first) or log-spaced. */
  function curveValues(axis, rows) {
    if (rows.length) {
      const counts = new Map();
      for (const r of rows) counts.set(r[axis], (counts.get(r[axis]) || 0) + 1);
      const values = Array.from(counts.keys()).sort((a, b) => counts.get(b) - counts.get(a));
      return values.slice(0, 6).sort((a, b) => a - b);
    }
    const lo = state[`${axis}_min`];
    const hi = state[`${axis}_max`];
    return logspace(lo, hi, 5).map(niceRound);
  }

  function drawSlices(canvasId, along, across, res, rows) {
    const frame = Plot.prepare(el(canvasId));
    const xs = logspace(state[`${along}_min`], state[`${along}_max`], res);
    const others = curveValues(across, rows);
    const Ns = others.map((o) => (along === 'N' ? xs : xs.map(() => o)));
    const Ts = others.map((o) => (along === 'N' ? xs.map(() => o) : xs));
    const curves = others.map((o, k) => losses(Ns[k], Ts[k], currentRidge()).loss);
    const dataY = rows.map((r) => r.loss);
    const y = Plot.extent(awayFromPeak(curves, Ns, Ts).concat([dataY]), true, 0.05);
    const tr = Plot.axes(frame, { x: [xs[0], xs[xs.length - 1]], y: y, xlog: true, ylog: true,
      xlabel: along === 'N' ? 'N (features)' : 'T (samples)', ylabel: lossAxisLabel(),
      title: `Loss vs ${along} at several ${across}` });
    const items = [];
    curves.forEach((ys, k) => {
      const color = Plot.PALETTE[k % Plot.PALETTE.length];
      Plot.line(frame, tr, xs, ys, { color: color });
      items.push({ label: `${across} = ${formatValue(others[k])}`, color: color });
      const mine = rows.filter((r) => r[across] === others[k]);
      Plot.points(frame, tr, mine.map((r) => r[along]), mine.map((r) => r.loss),
        mine.map((r) => r.loss_sem), { color: color });
    });
    drawMarkers(frame, tr, along, y);
    if (rows.length) items.push({ label: 'data ± s.e.m.', color: '#333', marker: true });
    Plot.legend(frame, tr, items, 'left');
  }

  /** Dotted verticals at M and at the point's other size (the interpolation threshold). */
  function drawMarkers(frame, tr, along, y) {
    const M = Math.floor(state.M);
    const other = along === 'N' ? state.T : state.N;
    Plot.line(frame, tr, [M, M], y, { color: '#888', dash: [2, 3], width: 1 });
    labelAt(frame, tr, M, y[1], 'M');
    if (other !== M) {
      Plot.line(frame, tr, [other, other], y, { color: '#bbb', dash: [2, 3], width: 1 });
    }
  }

  function labelAt(frame, tr, x, yv, text) {
    const px = tr.x(x);
    if (px < tr.box.left || px > tr.box.right) return;
    const c = frame.ctx;
    c.save();
    c.font = '10px system-ui, sans-serif';
    c.fillStyle = '#555';
    c.textAlign = 'left';
    c.textBaseline = 'top';
    c.fillText(text, px + 3, tr.box.top + 3);
    c.restore();
  }

  let landscapeGrid = null;

  function computeLandscape(res) {
    const Ns = logspace(state.N_min, state.N_max, res);
    const Ts = logspace(state.T_min, state.T_max, res);
    const flatN = [];
    const flatT = [];
    for (const T of Ts) {
      for (const N of Ns) {
        flatN.push(N);
        flatT.push(T);
      }
    }
    const out = losses(flatN, flatT, currentRidge());
    const loss = [];
    const regime = [];
    for (let j = 0; j < Ts.length; j++) {
      loss.push(out.loss.slice(j * res, (j + 1) * res));
      regime.push(out.regime.slice(j * res, (j + 1) * res));
    }
    landscapeGrid = { Ns: Ns, Ts: Ts, loss: loss, regime: regime };
    return landscapeGrid;
  }

  let pathCache = { key: '', path: null };

  /** The budgets of the compute-optimal path (within the ranges) and their cache key. */
  function pathRequest() {
    const lo = Math.max(2, state.N_min * state.T_min * 4);
    const hi = Math.max(lo * 10, (state.N_max * state.T_max) / 4);
    const ridge = state.optimal ? null : state.ridge;
    return { budgets: logspace(lo, hi, 7), ridge: ridge,
      key: [theoryKey, state.noise, ridge, lo, hi].join('|') };
  }

  function computePath() {
    const c = context();
    const req = pathRequest();
    if (pathCache.key !== req.key) {
      pathCache = { key: req.key, path: Th.computeOptimal(c.spectrum, req.budgets, state.noise,
        req.ridge, c.fs, 49, c.cache) };
    }
    return pathCache.path;
  }

  function pathReady() {
    context();
    return pathCache.key === pathRequest().key;
  }

  function drawLandscape(fast) {
    const frame = Plot.prepare(el('landscape'));
    const g = computeLandscape(fast ? (state.optimal ? 20 : 24) : 64);
    let hi = -Infinity;
    let lo = Infinity;
    for (const row of g.loss) {
      for (const v of row) {
        if (Number.isFinite(v) && v > 0) {
          hi = Math.max(hi, Math.log10(v));
          lo = Math.min(lo, Math.log10(v));
        }
      }
    }
    if (!Number.isFinite(hi)) {
      hi = 0;
      lo = -1;
    }
    lo = Math.max(lo, hi - 14);
    if (hi - lo < 1e-9) lo = hi - 1;
    frame.width -= 44; // room for the colour bar
    const tr = Plot.axes(frame, { x: [state.N_min, state.N_max], y: [state.T_min, state.T_max],
      xlog: true, ylog: true, xlabel: 'N (features)', ylabel: 'T (samples)',
      title: state.optimal ? 'Loss landscape (optimal ridge)' : 'Loss landscape' });
    frame.width += 44;
    let zeros = false;
    let infinite = false;
    Plot.cells(frame, tr, g.Ns, g.Ts, g.loss, (v) => {
      if (v === Infinity) {
        infinite = true;
        return [255, 255, 255];
      }
      if (v === 0) {
        zeros = true;
        return [210, 210, 210];
      }
      if (!(v > 0)) return null;
      return Plot.viridis(Math.min(1, Math.max(0, (Math.log10(v) - lo) / (hi - lo))));
    });
    Plot.colorbar(frame, tr, lo, hi, 'loss');
    const diag = [Math.min(state.N_min, state.T_min), Math.max(state.N_max, state.T_max)];
    Plot.line(frame, tr, diag, diag, { color: '#fff', dash: [5, 4], width: 1.2 });
    // the compute-optimal path (~85 solves per budget) follows when the sliders rest
    const ready = !fast || pathReady();
    const items = [{ label: 'N = T', color: '#bbb', dash: [5, 4] }];
    if (infinite) items.push({ label: 'white: loss ∞ (ridgeless N = T < M)', color: '#fff' });
    if (zeros) items.push({ label: 'grey: loss 0 (exact recovery)', color: '#d2d2d2' });
    if (ready) {
      const path = computePath();
      Plot.line(frame, tr, path.N, path.T, { color: '#ff3b30', width: 2 });
      Plot.points(frame, tr, path.N, path.T, null, { color: '#ff3b30', fill: '#ff3b30',
        radius: 2.5 });
      const inside = path.N.some((N, j) => N >= state.N_min && N <= state.N_max &&
        path.T[j] >= state.T_min && path.T[j] <= state.T_max);
      items.push({ label: 'compute-optimal N*, T* (cost N·T)' + (inside ? '' :
        ': outside these ranges'), color: '#ff3b30' });
    } else {
      items.push({ label: 'compute-optimal path: updating…', color: '#ff3b30' });
    }
    drawPointMarker(frame, tr);
    const rows = matchedRows().rows;
    Plot.points(frame, tr, rows.map((r) => r.N), rows.map((r) => r.T), null,
      { color: '#fff', fill: 'rgba(0,0,0,0.3)', radius: 2.5 });
    Plot.legend(frame, tr, items, 'left');
    landscapeTransform.landscape = tr;
  }

  const landscapeTransform = {};

  function drawPointMarker(frame, tr) {
    const c = frame.ctx;
    const px = tr.x(state.N);
    const py = tr.y(state.T);
    c.save();
    c.strokeStyle = '#fff';
    c.lineWidth = 3;
    c.beginPath();
    c.moveTo(px - 6, py);
    c.lineTo(px + 6, py);
    c.moveTo(px, py - 6);
    c.lineTo(px, py + 6);
    c.stroke();
    c.strokeStyle = '#000';
    c.lineWidth = 1.2;
    c.stroke();
    c.restore();
  }

  function drawRegimes() {
    const frame = Plot.prepare(el('regimes'));
    const g = landscapeGrid;
    const tr = Plot.axes(frame, { x: [state.N_min, state.N_max], y: [state.T_min, state.T_max],
      xlog: true, ylog: true, xlabel: 'N (features)', ylabel: 'T (samples)',
      title: 'Regimes' });
    const present = new Set();
    Plot.cells(frame, tr, g.Ns, g.Ts, g.regime, (name) => {
      present.add(name);
      return Plot.hexToRgb(REGIME_COLORS[name] || '#999999');
    });
    const peak = !state.optimal && state.ridge === 0;
    if (peak) {
      const M = Math.floor(state.M);
      const lo = Math.min(state.N_min, state.T_min);
      const hi = Math.min(Math.max(state.N_max, state.T_max), M);
      if (hi > lo) {
        Plot.line(frame, tr, [lo, hi], [lo, hi], { color: REGIME_COLORS.interpolation_peak,
          width: 2.5 });
        present.add('interpolation_peak');
      }
    }
    drawPointMarker(frame, tr);
    const labels = {
      power_law: 'power law', breakdown: 'breakdown (P → M)', plateau_N: 'plateau in N',
      plateau_T: 'plateau in T', saturated: 'saturated (N, T ≥ M)',
      ridge_limited: 'ridge-limited', interpolation_peak: 'interpolation peak (N = T)',
    };
    const items = Object.keys(REGIME_COLORS).filter((k) => present.has(k))
      .map((k) => ({ label: labels[k], color: REGIME_COLORS[k] }));
    drawRegimeLegend(frame, tr, items);
    landscapeTransform.regimes = tr;
  }

  function drawRegimeLegend(frame, tr, items) {
    const c = frame.ctx;
    c.save();
    c.font = '10px system-ui, sans-serif';
    const width = 24 + Math.max(...items.map((it) => c.measureText(it.label).width), 0);
    const left = tr.box.left + 6;
    const top = tr.box.top + 6;
    c.fillStyle = 'rgba(255,255,255,0.88)';
    c.fillRect(left, top, width, 14 * items.length + 6);
    c.textBaseline = 'middle';
    items.forEach((it, k) => {
      c.fillStyle = it.color;
      c.fillRect(left + 4, top + 5 + 14 * k, 12, 10);
      c.fillStyle = '#222';
      c.fillText(it.label, left + 20, top + 10 + 14 * k);
    });
    c.restore();
  }

  function ridgeFamily() {
    const r = state.ridge > 0 ? state.ridge : 1e-3;
    return [0, r / 100, r, r * 100];
  }

  function drawDoubleDescent(res) {
    const frame = Plot.prepare(el('double-descent'));
    const T = state.T;
    const xs = logspace(state.N_min, state.N_max, res);
    const Ts = xs.map(() => T);
    const ridges = ridgeFamily();
    const curves = ridges.map((r) => losses(xs, Ts, r).loss);
    const opt = losses(xs, Ts, 'optimal').loss;
    const all = curves.concat([opt]);
    const y = Plot.extent(awayFromPeak(all, all.map(() => xs), all.map(() => Ts)), true, 0.05);
    const tr = Plot.axes(frame, { x: [xs[0], xs[xs.length - 1]], y: y, xlog: true, ylog: true,
      xlabel: 'N (features)', ylabel: 'test loss', title: `Double descent vs ridge at T = ${T}` });
    const items = [];
    curves.forEach((ys, k) => {
      const color = Plot.PALETTE[k % Plot.PALETTE.length];
      Plot.line(frame, tr, xs, ys, { color: color });
      items.push({ label: `ridge = ${formatValue(ridges[k])}`, color: color });
    });
    Plot.line(frame, tr, xs, opt, { color: '#000', dash: [6, 3] });
    items.push({ label: 'optimal ridge γ*(N, T)', color: '#000', dash: [6, 3] });
    drawMarkers(frame, tr, 'N', y);
    Plot.legend(frame, tr, items, 'left');
  }

  function drawRidgeCurve(res) {
    const frame = Plot.prepare(el('loss-vs-ridge'));
    const rs = logspace(1e-12, 1e4, res);
    const c = context();
    const ys = rs.map((r) => Th.evaluate(c.spectrum, state.N, state.T, r, state.noise, c.fs,
      c.cache).loss);
    const zero = Th.evaluate(c.spectrum, state.N, state.T, 0, state.noise, c.fs, c.cache).loss;
    const opt = Th.optimalRidgeMany(c.spectrum, [state.N], [state.T],
      [state.noise * state.noise], c.fs, c.cache);
    const y = Plot.extent([ys, [opt.loss[0]]], true, 0.08);
    const tr = Plot.axes(frame, { x: [rs[0], rs[rs.length - 1]], y: y, xlog: true, ylog: true,
      xlabel: 'ridge γ', ylabel: 'test loss',
      title: `Loss vs ridge at N = ${state.N}, T = ${state.T}` });
    Plot.line(frame, tr, rs, ys, { color: Plot.PALETTE[0] });
    const items = [{ label: 'loss(γ)', color: Plot.PALETTE[0] }];
    if (Number.isFinite(zero)) {
      Plot.line(frame, tr, [rs[0], rs[rs.length - 1]], [zero, zero],
        { color: '#888', dash: [4, 3], width: 1 });
      items.push({ label: 'ridge 0 (exact limit)', color: '#888', dash: [4, 3] });
    }
    if (opt.ridge[0] > 0) {
      Plot.points(frame, tr, [opt.ridge[0]], [opt.loss[0]], null, { color: '#000',
        fill: '#000' });
      items.push({ label: `γ* = ${formatValue(opt.ridge[0])}`, color: '#000', marker: true });
    }
    if (!state.optimal && state.ridge > 0) {
      Plot.line(frame, tr, [state.ridge, state.ridge], y, { color: Plot.PALETTE[1], dash: [2, 3],
        width: 1.2 });
      items.push({ label: 'current ridge', color: Plot.PALETTE[1], dash: [2, 3] });
    }
    Plot.legend(frame, tr, items);
  }

  // ------------------------------------------------------------------ training dynamics
  const DYNAMICS_BUDGET = 10; // ms of loss-vs-steps curves per redraw while a slider moves
  let dynKey = '';
  let dyn = null;

  /** The latent sums and a cache of top edges and contour modes for the current spectrum. */
  function dynContext() {
    const M = Math.max(1, Math.floor(state.M));
    const key = [M, state.alpha, state.lambda_plus, state.sigma_w, state.sigma_u].join('|');
    if (key !== dynKey) {
      dynKey = key;
      const model = { M: M, alpha: state.alpha, lambda_plus: state.lambda_plus,
        sigma_w: state.sigma_w, sigma_u: state.sigma_u };
      dyn = { model: model, quad: Dy.latentQuadrature(model), cache: new Map(), gd: new Map() };
    }
    if (dyn.cache.size > 600) dyn.cache.clear();
    if (dyn.gd.size > 200) dyn.gd.clear();
    return dyn;
  }

  /**
   * The loss after each of `steps` updates (ascending, ending at the horizon) for N features, at
   * lr = lr_fraction x the stable limit of this N: one-pass SGD by the stepped recursion
   * (dynamics.train_curve's, at every horizon), or GD on the point's T samples. Throws the
   * theory's refusals (N >= M, lr too close to the limit).
   */
  function trainingCurve(N, steps) {
    const d = dynContext();
    const model = Object.assign({ noise: state.noise }, d.model);
    if (state.optimizer === 'gd') {
      const lr = state.lr_fraction * Dy.gdStableLr(model, N, state.T, d.quad, d.cache);
      const key = [N, state.T, lr, state.noise, steps.join(',')].join('|');
      let loss = d.gd.get(key);
      if (loss === undefined) {
        loss = Dy.gdTrainCurve(model, N, state.T, steps, lr, d.quad);
        d.gd.set(key, loss);
      }
      return { lr: lr, loss: loss };
    }
    const lr = state.lr_fraction * Dy.theoryStableLr(model, N, state.batch, d.quad, d.cache);
    const horizon = steps[steps.length - 1];
    const setup = Dy.sgdSetup(model, N, horizon, lr, state.batch, state.schedule, d.quad,
      d.cache);
    return { lr: lr, loss: Dy.sgdModeLosses(setup.modes, setup.residual, setup.lrs, state.batch,
      steps) };
  }

  /** Integer steps 1..steps_max, about n of them log-spaced (the horizon last). */
  function stepGrid(n) {
    const out = [];
    for (const v of logspace(1, Math.max(state.steps_max, 1), n)) {
      const s = Math.min(Math.round(v), state.steps_max);
      if (!out.length || s > out[out.length - 1]) out.push(s);
    }
    if (out[out.length - 1] !== state.steps_max) out.push(state.steps_max);
    return out;
  }

  function dynamicsLabel() {
    if (state.optimizer === 'gd') return `GD on T = ${state.T}`;
    return `SGD, batch ${state.batch}, ${state.schedule}`;
  }

  function drawSteps(fast) {
    const frame = Plot.prepare(el('loss-vs-steps'));
    const M = Math.floor(state.M);
    const gd = state.optimizer === 'gd';
    const steps = stepGrid(fast ? (gd ? 16 : 40) : (gd ? 32 : 90));
    const data = matchedCurveRows();
    const others = curveValues('N', data).filter((N) => N < M && N !== state.N).slice(0, 4);
    const curves = [];
    const problems = new Map(); // N -> the theory's refusal
    const waiting = [];
    const start = performance.now();
    // the point's curve first (it is read out); while a slider moves, the other sizes are drawn
    // within DYNAMICS_BUDGET ms and the rest follow when the sliders rest
    for (const N of (state.N < M ? [state.N] : []).concat(others)) {
      if (fast && curves.length && performance.now() - start > DYNAMICS_BUDGET) {
        waiting.push(N);
        continue;
      }
      try {
        curves.push(Object.assign({ N: N }, trainingCurve(N, steps)));
      } catch (err) {
        problems.set(N, err.message);
      }
    }
    const point = curves.find((c) => c.N === state.N) || null;
    curves.sort((p, q) => p.N - q.N);
    const y = Plot.extent(curves.map((c) => c.loss).concat([data.map((r) => r.loss)]), true,
      0.05);
    const tr = Plot.axes(frame, { x: [1, Math.max(steps[steps.length - 1], 2)], y: y,
      xlog: true, ylog: true, xlabel: 'steps (updates)', ylabel: 'test loss',
      title: `Loss vs steps (${dynamicsLabel()}, lr = ${state.lr_fraction} × limit)` });
    const items = [];
    curves.forEach((c, k) => {
      const mine = point === c;
      const color = mine ? '#000' : Plot.PALETTE[k % Plot.PALETTE.length];
      Plot.line(frame, tr, steps, Array.from(c.loss), mine ? { color: color, dash: [6, 3] } :
        { color: color });
      const rows = data.filter((r) => r.N === c.N);
      Plot.points(frame, tr, rows.map((r) => r.step), rows.map((r) => r.loss),
        rows.map((r) => r.loss_sem), { color: color });
      items.push({ label: `N = ${formatValue(c.N)}` + (mine ? ' (point)' : ''), color: color,
        dash: mine ? [6, 3] : undefined });
    });
    if (state.N >= M) {
      items.push({ label: 'N ≥ M: the dynamics theory needs N < M', color: '#b00020' });
    }
    if (data.length) items.push({ label: 'data ± s.e.m.', color: '#333', marker: true });
    if (waiting.length) {
      items.push({ label: `N = ${waiting.map(formatValue).join(', ')}: updating…`,
        color: '#bbb' });
    }
    Plot.legend(frame, tr, items, 'bottom');
    if (problems.size) writeProblem(frame, tr, problems.values().next().value);
    const readout = point ? point.loss[point.loss.length - 1] : NaN;
    el('loss-at-steps').textContent = point ? formatLoss(readout) : '—';
    el('steps-where').textContent = `N = ${state.N}, ${dynamicsLabel()}, ` +
      `${state.steps_max} steps, lr = ` + (point ? formatValue(point.lr) : '—');
    el('steps-reason').textContent = point ? '' : state.N >= M ?
      'the dynamics theory needs N < M' : problems.get(state.N) || '';
    el('steps-command').textContent = point ? 'scalinglab dynamics ' +
      `--M ${M} --alpha ${state.alpha} --lambda-plus ${state.lambda_plus} ` +
      `--sigma-u ${state.sigma_u} --sigma-w ${state.sigma_w} --noise ${state.noise} ` +
      `--N ${state.N} --lr ${point.lr} --steps ${state.steps_max} ` +
      (gd ? `--optimizer gd --T ${state.T}` : `--batch ${state.batch} --schedule ` +
        state.schedule) : '';
    window.explorer.steps = point ? { N: state.N, steps: state.steps_max, lr: point.lr,
      loss: readout, optimizer: state.optimizer, batch: state.batch, schedule: state.schedule,
      T: state.T, dataRows: data.length } : null;
  }

  /** A refusal of the theory, written across the top of a panel. */
  function writeProblem(frame, tr, text) {
    const c = frame.ctx;
    c.save();
    c.font = '10px system-ui, sans-serif';
    c.fillStyle = '#b00020';
    c.textBaseline = 'top';
    c.fillText(text.length > 110 ? `${text.slice(0, 107)}…` : text, tr.box.left + 4,
      tr.box.top + 4, tr.box.right - tr.box.left - 8);
    c.restore();
  }

  function formatLoss(v) {
    if (v === 0) return '0';
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return v.toExponential(14);
  }

  function drawPoint() {
    const c = context();
    const N = state.N;
    const T = state.T;
    let res;
    let ridge;
    if (state.optimal) {
      const opt = Th.optimalRidgeMany(c.spectrum, [N], [T], [state.noise * state.noise], c.fs,
        c.cache);
      ridge = opt.ridge[0];
      res = { loss: opt.loss[0], bias: opt.bias[0], variance: opt.variance[0], delta: opt.delta[0],
        d1: opt.d1[0], reason: opt.converged[0] ? '' :
          'the optimum lies at the upper end of the search range: predicting ~0 is optimal',
        regime: Th.classifyRegime(N, T, ridge, opt.d1[0], c.spectrum.M) };
      res.train_loss = NaN;
    } else {
      ridge = state.ridge;
      res = Th.evaluate(c.spectrum, N, T, ridge, state.noise, c.fs, c.cache);
    }
    el('loss-at-point').textContent = formatLoss(res.loss);
    el('point-where').textContent = `N = ${N}, T = ${T}, ridge = ` +
      (state.optimal ? `γ* = ${formatValue(ridge)}` : formatValue(ridge));
    el('point-bias').textContent = formatLoss(res.bias);
    el('point-variance').textContent = formatLoss(res.variance);
    el('point-train').textContent = state.optimal ? '—' : formatLoss(res.train_loss);
    el('point-d1').textContent = formatValue(res.d1);
    el('point-delta').textContent = formatLoss(res.delta);
    el('point-regime').textContent = res.regime.replace('_', ' ');
    el('point-regime').title = Th.REGIMES[res.regime] || '';
    el('point-reason').textContent = res.reason || '';
    el('point-command').textContent = 'scalinglab theory ' +
      `--M ${Math.floor(state.M)} --alpha ${state.alpha} --lambda-plus ${state.lambda_plus} ` +
      `--sigma-u ${state.sigma_u} --sigma-w ${state.sigma_w} --noise ${state.noise} ` +
      `--N ${N} --T ${T} --ridge ${state.optimal ? 0 : state.ridge}` +
      (state.optimal ? ' --optimal-ridge' : '');
    window.explorer.point = Object.assign({ ridge_used: ridge }, res);
  }

  function pickPoint(ev, which) {
    const tr = landscapeTransform[which];
    if (!tr) return;
    const rect = ev.target.getBoundingClientRect();
    const x = ev.clientX - rect.left;
    const y = ev.clientY - rect.top;
    if (x < tr.box.left || x > tr.box.right || y < tr.box.top || y > tr.box.bottom) return;
    state.N = Math.max(1, Math.round(tr.invX(x)));
    state.T = Math.max(1, Math.round(tr.invY(y)));
    syncControls();
    changed();
  }

  // ------------------------------------------------------------------ redraw
  const PANELS = [
    ['point', () => drawPoint()],
    ['loss_vs_N', (fast, rows) => drawSlices('loss-vs-N', 'N', 'T', fast ? 48 : 120, rows)],
    ['loss_vs_T', (fast, rows) => drawSlices('loss-vs-T', 'T', 'N', fast ? 48 : 120, rows)],
    ['landscape', (fast) => drawLandscape(fast)],
    ['regimes', () => drawRegimes()],
    ['double_descent', (fast) => drawDoubleDescent(fast ? 48 : 120)],
    ['loss_vs_ridge', (fast) => drawRidgeCurve(fast ? 40 : 100)],
    ['loss_vs_steps', (fast) => drawSteps(fast)],
  ];

  let idleTimer = null;

  function redraw(fast) {
    const start = performance.now();
    const timings = { fast: fast };
    const data = matchedRows();
    const curveRows = data.total ? matchedCurveRows().length : 0;
    const shown = data.rows.length + curveRows;
    el('data-status').textContent = data.total ?
      `${shown} of ${data.total} data rows match the current parameters` +
      (shown < data.total ? ' (M, alpha, …, noise, ridge columns; for training curves the ' +
        'optimizer, batch or T, schedule and lr)' : '') +
      (curveRows ? `; ${curveRows} on loss vs steps` : '') + '.' : 'No data loaded.';
    el('use-data-params').disabled = !data.total;
    for (const [name, draw] of PANELS) {
      const t = performance.now();
      try {
        draw(fast, data.rows);
      } catch (err) {
        note(`${name}: ${err.message}`, true);
        console.error(err);
      }
      timings[name] = performance.now() - t;
    }
    timings.total = performance.now() - start;
    window.explorer.timings = timings;
    window.explorer.redraws += 1;
    el('timing').textContent = `redrawn in ${timings.total.toFixed(1)} ms` +
      (fast ? ' (interactive resolution)' : '');
  }

  /** A parameter changed: redraw now at interactive resolution, in full once moves stop. */
  function changed(full) {
    writeQuery(full);
    if (full) {
      redraw(false);
      return;
    }
    redraw(true);
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      writeQuery(true); // the address bar follows once the sliders rest (~2 ms a change)
      redraw(false);
    }, 250);
  }

  // ------------------------------------------------------------------ start
  window.explorer = {
    state: state, timings: null, redraws: 0, point: null, theory: Th,
    redraw: redraw, loadFiles: loadFiles, datasets: datasets, queryString: queryString,
  };
  readQuery();
  buildControls();
  syncControls();
  for (const m of messages) note(m, true);
  document.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  document.addEventListener('drop', (ev) => {
    ev.preventDefault();
    document.body.classList.remove('dragging');
    window.explorer.loading = loadFiles(ev.dataTransfer.files);
  });
  el('share-link').value = window.location.href;
  changed(true);
  window.explorer.ready = true;
})();
