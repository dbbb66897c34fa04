/*
 * The theory of training dynamics (loss vs steps), in the page.
 *
 * A port of the Python theory of scalinglab.dynamics (docs/dynamics.md §2, §4, §4b):
 *   dynamics/feature_spectrum.py latent_quadrature, _gauss_panels, _sums, _real_delta,
 *                                solve_delta, top_edge, contour_modes (the deterministic
 *                                equivalent of the feature spectrum at complex arguments, its
 *                                contour nodes becoming complex modes)
 *   dynamics/recursion.py        sgd_mode_losses (the per-mode second-moment recursion of
 *                                one-pass SGD) and sgd_mode_losses_constant (the same map
 *                                composed by doubling, used beyond DOUBLING_FROM steps)
 *   dynamics/schedules.py        learning_rates (constant, cosine, wsd)
 *   dynamics/theory.py           theory_stable_lr, train_curve, gd_stable_lr
 *   dynamics/gd_theory.py        gd_train_curve (full-batch GD at finite T)
 * Same equations, same brackets, iteration counts and quadrature nodes, the same dispatch
 * between the stepped and the doubled recursion; the sum of the mode losses is NumPy's pairwise
 * summation and complex division is NumPy's (Smith's) algorithm, so that the arithmetic is the
 * Python's wherever that is cheap to follow. The golden-vector test
 * (tests/explore/test_golden_dynamics.py) runs this file under Node.js against
 * scalinglab.dynamics.theory.train_curve.
 *
 * Complex arrays are pairs of Float64Arrays (real, imaginary).
 *
 * Works as a browser script (global ScalingDynamics) and as a CommonJS module (Node.js).
 */
(function (root, factory) {
  'use strict';
  const api = factory();
  if (typeof module === 'object' && module.exports) {
    module.exports = api;
  } else {
    root.ScalingDynamics = api;
  }
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  // feature_spectrum.py
  const HEAD = 128;
  const PANELS_PER_DECADE = 2;
  const RAY_ANGLE = 0.25;
  const DECADES_BELOW = 4.0;
  // theory.py: constant schedules beyond this many steps compose maps by doubling
  const DOUBLING_FROM = 300000;
  // numpy.polynomial.legendre.leggauss(8)
  const LEG_X = [-0.9602898564975362, -0.7966664774136267, -0.525532409916329,
    -0.18343464249564978, 0.18343464249564978, 0.525532409916329, 0.7966664774136267,
    0.9602898564975362];
  const LEG_W = [0.10122853629037706, 0.22238103445337443, 0.3137066458778869,
    0.36268378337836166, 0.36268378337836166, 0.3137066458778869, 0.22238103445337443,
    0.10122853629037706];
  const SCHEDULES = ['constant', 'cosine', 'wsd'];

  // ------------------------------------------------------------------ NumPy's arithmetic
  /** numpy.linspace(lo, hi, n): k * step + lo, the last point exactly hi. */
  function linspace(lo, hi, n) {
    const out = new Float64Array(n);
    const step = (hi - lo) / (n - 1);
    for (let k = 0; k < n; k++) out[k] = k * step + lo;
    if (n > 1) out[n - 1] = hi;
    return out;
  }

  /** numpy.geomspace for 0 < start, stop. */
  function geomspace(start, stop, n) {
    const y = linspace(Math.log10(start), Math.log10(stop), n);
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) out[k] = Math.pow(10.0, y[k]);
    out[0] = start;
    if (n > 1) out[n - 1] = stop;
    return out;
  }

  /** Complex division (ar + i ai)/(br + i bi) as NumPy does it (Smith's algorithm): [re, im]. */
  function cdiv(ar, ai, br, bi) {
    const abr = Math.abs(br);
    const abi = Math.abs(bi);
    if (abr >= abi) {
      if (abr === 0 && abi === 0) return [ar / abr, ai / abi];
      const rat = bi / br;
      const scl = 1.0 / (br + bi * rat);
      return [(ar + ai * rat) * scl, (ai - ar * rat) * scl];
    }
    const rat = br / bi;
    const scl = 1.0 / (bi + br * rat);
    return [(ar * rat + ai) * scl, (ai * rat - ar) * scl];
  }

  /**
   * The real part of numpy.sum over m complex numbers from `start` (NumPy's pairwise summation:
   * under 4 numbers in a row, up to 64 in four interleaved partial sums, else split in two).
   */
  function pairwiseReal(re, start, m) {
    if (m < 4) {
      let r = -0.0;
      for (let i = 0; i < m; i++) r += re[start + i];
      return r;
    }
    if (m <= 64) {
      let r0 = re[start];
      let r1 = re[start + 1];
      let r2 = re[start + 2];
      let r3 = re[start + 3];
      let i = 4;
      const stop = m - (m % 4);
      for (; i < stop; i += 4) {
        r0 += re[start + i];
        r1 += re[start + i + 1];
        r2 += re[start + i + 2];
        r3 += re[start + i + 3];
      }
      let total = (r0 + r1) + (r2 + r3);
      for (; i < m; i++) total += re[start + i];
      return total;
    }
    const m2 = (m - (m % 8)) / 2; // NumPy's n2 = n/2 - (n/2) % 8 doubles, n = 2m
    return pairwiseReal(re, start, m2) + pairwiseReal(re, start + m2, m - m2);
  }

  /** numpy.sum of n real numbers from `start` (pairwise: eight partial sums per block of 128). */
  function pairwiseSum(a, start, n) {
    if (n < 8) {
      let r = -0.0;
      for (let i = 0; i < n; i++) r += a[start + i];
      return r;
    }
    if (n <= 128) {
      const r = Array.from(a.subarray(start, start + 8));
      let i = 8;
      const stop = n - (n % 8);
      for (; i < stop; i += 8) {
        for (let k = 0; k < 8; k++) r[k] += a[start + i + k];
      }
      let total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < n; i++) total += a[start + i];
      return total;
    }
    let n2 = Math.floor(n / 2);
    n2 -= n2 % 8;
    return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
  }

  // ------------------------------------------------------------------ feature_spectrum.py
  /** Gauss-Legendre nodes and weights on [lo, hi] split into equal panels (_gauss_panels). */
  function gaussPanels(lo, hi, panels) {
    const edges = linspace(lo, hi, panels + 1);
    const order = LEG_X.length;
    const x = new Float64Array(panels * order);
    const w = new Float64Array(panels * order);
    for (let p = 0; p < panels; p++) {
      const half = 0.5 * (edges[p + 1] - edges[p]);
      const mid = 0.5 * (edges[p + 1] + edges[p]);
      for (let k = 0; k < order; k++) {
        x[p * order + k] = mid + half * LEG_X[k];
        w[p * order + k] = half * LEG_W[k];
      }
    }
    return { x: x, w: w };
  }

  function dot(a, b) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }

  /**
   * The latent sums of the isotropic power law {M, alpha, lambda_plus, sigma_w}
   * (latent_quadrature): exact for M <= 2 HEAD, else the exact head J <= HEAD and Gauss-Legendre
   * panels in log J for the tail. Fields lam, weight, power (v^2 = omega lambda), total, signal.
   */
  function latentQuadrature(model) {
    const M = Math.floor(model.M);
    const a = 1.0 + model.alpha;
    const omega = (model.sigma_w * model.sigma_w) / M;
    let lam;
    let weight;
    if (M <= 2 * HEAD) {
      lam = new Float64Array(M);
      for (let J = 1; J <= M; J++) lam[J - 1] = model.lambda_plus * Math.pow(J, -a);
      weight = new Float64Array(M).fill(1.0);
    } else {
      const lo = Math.log(HEAD + 0.5);
      const hi = Math.log(M + 0.5);
      const panels = Math.max(2, Math.ceil((PANELS_PER_DECADE * (hi - lo)) / Math.log(10.0)));
      const g = gaussPanels(lo, hi, panels);
      lam = new Float64Array(HEAD + g.x.length);
      weight = new Float64Array(HEAD + g.x.length);
      for (let J = 1; J <= HEAD; J++) {
        lam[J - 1] = model.lambda_plus * Math.pow(J, -a);
        weight[J - 1] = 1.0;
      }
      for (let k = 0; k < g.x.length; k++) {
        const J = Math.exp(g.x[k]);
        lam[HEAD + k] = model.lambda_plus * Math.pow(J, -a);
        weight[HEAD + k] = g.w[k] * J;
      }
    }
    const power = lam.map((l) => omega * l);
    const powerLam = new Float64Array(lam.length);
    let lamMin = Infinity;
    let lamMax = -Infinity;
    for (let k = 0; k < lam.length; k++) {
      powerLam[k] = power[k] * lam[k] * weight[k];
      lamMin = Math.min(lamMin, lam[k]);
      lamMax = Math.max(lamMax, lam[k]);
    }
    return { lam: lam, weight: weight, power: power, powerLam: powerLam,
      total: dot(weight, lam), signal: dot(weight, power), lamMin: lamMin, lamMax: lamMax };
  }

  /** d1 and e = delta sum lambda/(lambda + delta)^2 at one real delta (_sums, real). */
  function sumsReal(delta, quad) {
    const lam = quad.lam;
    const w = quad.weight;
    let d1 = 0;
    let e = 0;
    for (let k = 0; k < lam.length; k++) {
      const inv = 1.0 / (lam[k] + delta);
      const r = lam[k] * inv;
      d1 += r * w[k];
      e += r * inv * w[k];
    }
    return [d1, delta * e];
  }

  /** d1 alone at one real delta (the bisections). */
  function d1Real(delta, quad) {
    const lam = quad.lam;
    const w = quad.weight;
    let d1 = 0;
    for (let k = 0; k < lam.length; k++) d1 += (lam[k] * (1.0 / (lam[k] + delta))) * w[k];
    return d1;
  }

  /**
   * d1, e and (tau) tau = sum v^2 lambda/(lambda + delta) at one complex delta (_sums): out is
   * a Float64Array(6) of the real and imaginary parts [d1, e, tau]. 1/(lambda + delta) is
   * NumPy's complex division (cdiv), written out here: this loop is the page's hot path.
   */
  function sumsComplex(dr, di, quad, tau, out) {
    const lam = quad.lam;
    const w = quad.weight;
    const pl = quad.powerLam;
    let d1r = 0;
    let d1i = 0;
    let er = 0;
    let ei = 0;
    let tr = 0;
    let ti = 0;
    const abi = Math.abs(di);
    for (let k = 0; k < lam.length; k++) {
      const br = lam[k] + dr;
      let ir;
      let ii;
      if (Math.abs(br) >= abi) {
        const rat = di / br;
        const scl = 1.0 / (br + di * rat);
        ir = (1.0 + 0.0 * rat) * scl;
        ii = (0.0 - 1.0 * rat) * scl;
      } else {
        const rat = br / di;
        const scl = 1.0 / (di + br * rat);
        ir = (1.0 * rat + 0.0) * scl;
        ii = (0.0 * rat - 1.0) * scl;
      }
      const rr = lam[k] * ir;
      const ri = lam[k] * ii;
      d1r += rr * w[k];
      d1i += ri * w[k];
      er += (rr * ir - ri * ii) * w[k];
      ei += (rr * ii + ri * ir) * w[k];
      if (tau) {
        tr += ir * pl[k];
        ti += ii * pl[k];
      }
    }
    out[0] = d1r;
    out[1] = d1i;
    out[2] = dr * er - di * ei;
    out[3] = dr * ei + di * er;
    out[4] = tr;
    out[5] = ti;
    return out;
  }

  /**
   * delta > 0 with delta (N - d1)(1 - d1/T) = r/s2 on the branch d1 < min(N, T) (T null: T ->
   * infinity), for one r > 0 (_real_delta): 50 bisections in log delta, then 8 Newton steps.
   */
  function realDelta(r, N, s2, quad, T) {
    const invT = T === null || T === undefined ? 0.0 : 1.0 / T;
    const P = T === null || T === undefined ? N : Math.min(N, T);
    let lo = Math.log(quad.lamMin) - 60.0;
    let hi = Math.log(((r / s2 + quad.total) / N) * (1.0 + quad.total * invT)) + 2.0;
    const target = r / s2;
    for (let it = 0; it < 50; it++) {
      const mid = 0.5 * (lo + hi);
      const d = Math.exp(mid);
      const d1 = d1Real(d, quad);
      const h = d1 < P ? d * (N - d1) * (1.0 - d1 * invT) - target : -1.0;
      if (h < 0) lo = mid;
      else hi = mid;
    }
    let x = 0.5 * (lo + hi);
    const logTarget = Math.log(target);
    for (let it = 0; it < 8; it++) {
      const [d1, e] = sumsReal(Math.exp(x), quad);
      if (!(d1 < P)) continue;
      const nGap = N - d1;
      const tGap = 1.0 - d1 * invT;
      const g = x + Math.log(nGap) + Math.log(tGap) - logTarget;
      const step = g / (1.0 + e / nGap + (e * invT) / tGap);
      x = Math.min(Math.max(x - step, lo), hi);
    }
    return Math.exp(x);
  }

  /**
   * Delta(z) on the physical sheet of Delta (N - d1)(1 - d1/T) = z/s2 (solve_delta): the real
   * root at |z| continued along |z| e^(i theta) by Newton steps. z given as arrays (zr, zi);
   * returns [re, im] arrays; throws when the residual stays above 1e-7.
   */
  function solveDelta(zr, zi, N, s2, quad, T) {
    const n = zr.length;
    const invT = T === null || T === undefined ? 0.0 : 1.0 / T;
    const dr = new Float64Array(n);
    const di = new Float64Array(n);
    const rotations = 10;
    const inv = 1.0 / s2; // NumPy divides a complex array by a float as times 1/s2
    const s = new Float64Array(6);
    let worst = 0;
    for (let j = 0; j < n; j++) {
      const r = Math.hypot(zr[j], zi[j]);
      const angle = Math.atan2(zi[j], zr[j]);
      let xr = realDelta(r, N, s2, quad, T);
      let xi = 0.0;
      for (let k = 1; k <= rotations; k++) {
        const phase = angle * k * (1.0 / rotations);
        const tr = r * Math.cos(phase) * inv;
        const ti = r * Math.sin(phase) * inv;
        const iterations = k < rotations ? 2 : 14;
        for (let it = 0; it < iterations; it++) {
          sumsComplex(xr, xi, quad, false, s);
          const gr = 1.0 - s[0] * invT; // t_gap
          const gi = -(s[1] * invT);
          const nr = N - s[0]; // N - d1
          const ni = -s[1];
          const pr = xr * nr - xi * ni; // delta (N - d1)
          const pi = xr * ni + xi * nr;
          const hr = pr * gr - pi * gi - tr;
          const hi = pr * gi + pi * gr - ti;
          const ar = gr + nr * invT; // t_gap + (N - d1)/T
          const ai = gi + ni * invT;
          const denr = nr * gr - ni * gi + (s[2] * ar - s[3] * ai);
          const deni = nr * gi + ni * gr + (s[2] * ai + s[3] * ar);
          const [qr, qi] = cdiv(hr, hi, denr, deni);
          xr -= qr;
          xi -= qi;
        }
      }
      sumsComplex(xr, xi, quad, false, s);
      const gr = 1.0 - s[0] * invT;
      const gi = -(s[1] * invT);
      const nr = N - s[0];
      const ni = -s[1];
      const pr = xr * nr - xi * ni;
      const pi = xr * ni + xi * nr;
      const [qr, qi] = cdiv((pr * gr - pi * gi) * s2, (pr * gi + pi * gr) * s2, zr[j], zi[j]);
      const resid = Math.hypot(qr - 1.0, qi);
      worst = Math.max(worst, resid);
      if (!(resid < 1e-7)) worst = Math.max(worst, Infinity);
      dr[j] = xr;
      di[j] = xi;
    }
    if (!(worst < 1e-7)) {
      throw new RangeError("The 'N' parameter gives a feature spectrum whose deterministic " +
        `equivalent did not converge (residual ${worst.toExponential(1)}). Got N = ${N} instead.`);
    }
    return [dr, di];
  }

  /**
   * The largest eigenvalue of C (T null) or of F'F/T in the deterministic equivalent (top_edge):
   * -max z(Delta) over Delta < -lambda_1, z = s2 Delta (N - d1)(1 - d1/T), on refined grids.
   */
  function topEdge(N, s2, quad, T) {
    const invT = T === null || T === undefined ? 0.0 : 1.0 / T;
    const lam1 = quad.lamMax;
    let grid = geomspace(1e-8, 1e3, 240);
    let best = 0;
    for (let it = 0; it < 3; it++) {
      let i = 0;
      best = -Infinity;
      for (let k = 0; k < grid.length; k++) {
        const x = -lam1 * (1.0 + grid[k]);
        const d1 = d1Real(x, quad);
        const z = s2 * x * (N - d1) * (1.0 - d1 * invT);
        if (z > best) {
          best = z;
          i = k;
        }
      }
      grid = geomspace(grid[Math.max(i - 1, 0)], grid[Math.min(i + 1, grid.length - 1)], 40);
    }
    return -best;
  }

  /**
   * Contour nodes and measures of the feature spectrum of N < M features (contour_modes):
   * sum_k w_k psi(c_k) = Re sum_q m_q psi(zeta_q) for w_k = 1 (counts) and w_k = u_k(0) (u0).
   * Rmax bounds the arc radius (null: none). `quad` may be passed to reuse the latent sums and
   * `cache` (a Map kept by the caller for one spectrum: M, alpha, lambda_plus, sigma_w, sigma_u)
   * to reuse the top edge and the modes of an (N, R) already solved.
   */
  function contourModes(model, N, Rmax, quad, cache) {
    const M = Math.floor(model.M);
    if (N >= M) {
      throw new RangeError(`The 'N' parameter must be below M = ${M} for the SGD theory. ` +
        `Got ${N} instead.`);
    }
    quad = quad || latentQuadrature(model);
    const s2 = (model.sigma_u * model.sigma_u) / M;
    const cTop = memo(cache, `top|${N}`, () => topEdge(N, s2, quad, null));
    const R = Rmax === null || Rmax === undefined ? 1.5 * cTop : Math.min(1.5 * cTop, Rmax);
    if (R <= 1.02 * cTop) {
      throw new RangeError("The 'lr' parameter must leave the SGD map contracting beyond the " +
        `top of the feature spectrum (c_max = ${cTop.toPrecision(4)}). Got a learning rate too ` +
        'close to the stability limit instead.');
    }
    const hit = cache ? cache.get(`modes|${N}|${R}`) : undefined;
    if (hit) return hit;
    const deltaN = realDelta(1e-300, N, s2, quad, null);
    const c2 = sumsReal(2 * deltaN, quad)[0];
    const cLow = s2 * deltaN * Math.max(1.0, N - c2);
    const lo = Math.log(cLow) - DECADES_BELOW * Math.log(10.0);
    const hi = Math.log(R);
    const panels = Math.max(4, Math.ceil((PANELS_PER_DECADE * (hi - lo)) / Math.log(10.0)));
    const ray = gaussPanels(lo, hi, panels);
    const arc = gaussPanels(-RAY_ANGLE, 0.0, 2);
    const nRay = ray.x.length;
    const K = nRay + arc.x.length;
    const zr = new Float64Array(K);
    const zi = new Float64Array(K);
    const dzr = new Float64Array(K);
    const dzi = new Float64Array(K);
    const rotR = Math.cos(0.25);
    const rotI = -Math.sin(0.25);
    for (let k = 0; k < nRay; k++) {
      const ex = Math.exp(ray.x[k]);
      zr[k] = ex * rotR;
      zi[k] = ex * rotI;
      dzr[k] = zr[k] * ray.w[k];
      dzi[k] = zi[k] * ray.w[k];
    }
    for (let k = 0; k < arc.x.length; k++) {
      const j = nRay + k;
      zr[j] = R * Math.cos(arc.x[k]);
      zi[j] = R * Math.sin(arc.x[k]);
      dzr[j] = -zi[j] * arc.w[k]; // 1j * arc * w
      dzi[j] = zr[j] * arc.w[k];
    }
    const [dr, di] = solveDelta(zr.map((v) => -v), zi.map((v) => -v), N, s2, quad, null);
    const s = new Float64Array(6);
    sumsComplex(deltaN, 0.0, quad, true, s);
    const tauNr = s[4];
    const tauNi = s[5];
    const scaleR = -0.0;
    const scaleI = -1.0 / Math.PI; // -1j/pi
    const counts = [new Float64Array(K), new Float64Array(K)];
    const u0 = [new Float64Array(K), new Float64Array(K)];
    for (let k = 0; k < K; k++) {
      sumsComplex(dr[k], di[k], quad, true, s);
      const [gcR, gcI] = cdiv(-1.0, 0.0, s2 * dr[k], s2 * di[k]); // -1/(s2 delta)
      const [guR, guI] = cdiv(tauNr - s[4], tauNi - s[5], zr[k], zi[k]); // (tau_N - tau)/zeta
      const mr = scaleR * dzr[k] - scaleI * dzi[k]; // scale * dzeta
      const mi = scaleR * dzi[k] + scaleI * dzr[k];
      counts[0][k] = mr * gcR - mi * gcI;
      counts[1][k] = mr * gcI + mi * gcR;
      u0[0][k] = mr * guR - mi * guI;
      u0[1][k] = mr * guI + mi * guR;
    }
    const modes = { zr: zr, zi: zi, counts: counts, u0: u0,
      floor: Math.max(quad.signal - tauNr, 0.0), cTop: cTop };
    if (cache) cache.set(`modes|${N}|${R}`, modes);
    return modes;
  }

  /** cache.get(key), computed by make() and kept when missing (no cache: make()). */
  function memo(cache, key, make) {
    if (!cache) return make();
    let value = cache.get(key);
    if (value === undefined) {
      value = make();
      cache.set(key, value);
    }
    return value;
  }

  // ------------------------------------------------------------------ recursion.py
  /**
   * Expected population loss of one-pass SGD after each of `steps` updates (sgd_mode_losses):
   * u_k <- a_k u_k + (eta^2/b) n_k c_k^2 (Re sum u + sigma_r^2), a_k = 1 - 2 eta c_k +
   * eta^2 (1 + 1/b) c_k^2, loss = (Re sum u + L0)/2; inf once the recursion diverges.
   */
  function sgdModeLosses(modes, residualVar, lrs, batch, steps) {
    const K = modes.zr.length;
    const cr = modes.zr;
    const ci = modes.zi;
    const wr = new Float64Array(K);
    const wi = new Float64Array(K);
    const qr = new Float64Array(K);
    const qi = new Float64Array(K);
    const beta = 1.0 + 1.0 / batch;
    const invB = 1.0 / batch;
    for (let k = 0; k < K; k++) {
      const nr = modes.counts[0][k];
      const ni = modes.counts[1][k];
      const xr = nr * cr[k] - ni * ci[k]; // counts * c
      const xi = nr * ci[k] + ni * cr[k];
      wr[k] = (xr * cr[k] - xi * ci[k]) * invB; // * c / batch
      wi[k] = (xr * ci[k] + xi * cr[k]) * invB;
      const br = beta * cr[k];
      const bi = beta * ci[k];
      qr[k] = br * cr[k] - bi * ci[k];
      qi[k] = br * ci[k] + bi * cr[k];
    }
    const ur = Float64Array.from(modes.u0[0]);
    const ui = Float64Array.from(modes.u0[1]);
    const ar = new Float64Array(K);
    const ai = new Float64Array(K);
    const order = Array.from(steps.keys()).sort((x, y) => steps[x] - steps[y] || x - y);
    const out = new Float64Array(steps.length);
    let total = pairwiseReal(ur, 0, K);
    let t = 0;
    let etaPrev = null;
    let pos = 0;
    while (pos < steps.length) {
      const target = steps[order[pos]];
      while (t < target) {
        const eta = lrs[t];
        if (eta !== etaPrev) {
          const two = 2.0 * eta;
          const eta2 = eta * eta;
          for (let k = 0; k < K; k++) {
            ar[k] = 1.0 - two * cr[k] + eta2 * qr[k];
            ai[k] = -(two * ci[k]) + eta2 * qi[k];
          }
          etaPrev = eta;
        }
        const push = eta * eta * (total + residualVar);
        for (let k = 0; k < K; k++) {
          const xr = ur[k];
          const xi = ui[k];
          ur[k] = xr * ar[k] - xi * ai[k] + wr[k] * push;
          ui[k] = xr * ai[k] + xi * ar[k] + wi[k] * push;
        }
        total = pairwiseReal(ur, 0, K);
        t += 1;
        if (!(total < 1e300)) {
          total = Infinity;
          break;
        }
      }
      if (!Number.isFinite(total)) {
        for (; pos < steps.length; pos++) out[order[pos]] = Infinity;
        break;
      }
      while (pos < steps.length && steps[order[pos]] === target) {
        out[order[pos]] = 0.5 * (total + modes.floor);
        pos += 1;
      }
    }
    return out;
  }

  /** C = A B for square row-major matrices of order n. */
  function matmul(A, B, n) {
    const C = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const row = i * n;
      for (let k = 0; k < n; k++) {
        const aik = A[row + k];
        if (aik === 0) continue;
        const bk = k * n;
        for (let j = 0; j < n; j++) C[row + j] += aik * B[bk + j];
      }
    }
    return C;
  }

  function matvec(A, v, n) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) s += A[row + j] * v[j];
      out[i] = s;
    }
    return out;
  }

  /**
   * sgdModeLosses for a constant learning rate by doubling (sgd_mode_losses_constant): the
   * update is the real-affine map v -> A v + f on v = (Re u, Im u), composed over the binary
   * digits of the step count (O(K^3 log t)).
   */
  function sgdModeLossesConstant(modes, residualVar, lr, batch, steps) {
    const K = modes.zr.length;
    const n = 2 * K;
    const eta2 = lr * lr;
    const A = new Float64Array(n * n);
    const f = new Float64Array(n);
    const invB = 1.0 / batch;
    const beta = 1.0 + 1.0 / batch;
    for (let k = 0; k < K; k++) {
      const cr = modes.zr[k];
      const ci = modes.zi[k];
      const nr = modes.counts[0][k];
      const ni = modes.counts[1][k];
      const xr = nr * cr - ni * ci;
      const xi = nr * ci + ni * cr;
      const wr = (xr * cr - xi * ci) * invB;
      const wi = (xr * ci + xi * cr) * invB;
      const two = 2.0 * lr;
      const br = lr * lr * beta * cr; // ((lr^2 (1 + 1/b)) c) c
      const bi = lr * lr * beta * ci;
      const ar = 1.0 - two * cr + (br * cr - bi * ci);
      const ai = -(two * ci) + (br * ci + bi * cr);
      for (let j = 0; j < K; j++) {
        A[k * n + j] = eta2 * wr;
        A[(K + k) * n + j] = eta2 * wi;
      }
      A[k * n + k] += ar;
      A[k * n + K + k] = -ai;
      A[(K + k) * n + k] += ai;
      A[(K + k) * n + K + k] = ar;
      f[k] = eta2 * residualVar * wr;
      f[K + k] = eta2 * residualVar * wi;
    }
    let v = new Float64Array(n);
    v.set(modes.u0[0], 0);
    v.set(modes.u0[1], K);
    const order = Array.from(steps.keys()).sort((x, y) => steps[x] - steps[y] || x - y);
    const out = new Float64Array(steps.length);
    const top = steps.length ? Math.max(...steps) : 0;
    const powers = [[A, f]];
    while (Math.pow(2, powers.length) <= top) {
      const [P, o] = powers[powers.length - 1];
      const Po = matvec(P, o, n);
      for (let i = 0; i < n; i++) Po[i] += o[i];
      powers.push([matmul(P, P, n), Po]);
    }
    let t = 0;
    for (const idx of order) {
      let gap = steps[idx] - t;
      let j = 0;
      while (gap) {
        if (gap % 2 === 1) {
          const next = matvec(powers[j][0], v, n);
          for (let i = 0; i < n; i++) next[i] += powers[j][1][i];
          v = next;
        }
        gap = Math.floor(gap / 2);
        j += 1;
      }
      t = steps[idx];
      const total = pairwiseSum(v, 0, K);
      out[idx] = Number.isFinite(total) && total < 1e300 ? 0.5 * (total + modes.floor) : Infinity;
    }
    return out;
  }

  // ------------------------------------------------------------------ schedules.py
  /** The learning rate of each of `steps` updates (learning_rates; warmup 5 %, decay 20 %). */
  function learningRates(schedule, lr, steps) {
    const out = new Float64Array(steps);
    if (schedule === 'constant') return out.fill(lr);
    if (schedule === 'cosine') {
      const span = Math.max(steps, 1);
      for (let t = 0; t < steps; t++) out[t] = lr * 0.5 * (1.0 + Math.cos((Math.PI * t) / span));
      return out;
    }
    if (schedule !== 'wsd') {
      throw new RangeError(`The 'schedule' parameter must be one of ${SCHEDULES.join(', ')}. ` +
        `Got '${schedule}' instead.`);
    }
    const nWarm = 0.05 * steps;
    const nDecay = 0.2 * steps;
    for (let t = 0; t < steps; t++) {
      const rise = nWarm > 0 ? Math.min(1.0, (t + 1.0) / nWarm) : 1.0;
      const fall = nDecay > 0 ? Math.min(Math.max((steps - t) / nDecay, 0.0), 1.0) : 1.0;
      out[t] = lr * Math.min(rise, fall);
    }
    return out;
  }

  // ------------------------------------------------------------------ theory.py
  function featureScale(model) {
    return (model.sigma_u * model.sigma_u) / Math.floor(model.M);
  }

  /** 2b/(tr C + (b + 1) c_max) from the deterministic equivalent (theory_stable_lr). */
  function theoryStableLr(model, N, batch, quad, cache) {
    quad = quad || latentQuadrature(model);
    const s2 = featureScale(model);
    const trace = s2 * N * quad.total;
    const top = memo(cache, `top|${N}`, () => topEdge(N, s2, quad, null));
    return (2.0 * batch) / (trace + (batch + 1) * top);
  }

  /** 2/x_max with x_max the top eigenvalue of F'F/T (gd_stable_lr). */
  function gdStableLr(model, N, T, quad, cache) {
    quad = quad || latentQuadrature(model);
    return 2.0 / memo(cache, `top|${N}|${T}`, () => topEdge(N, featureScale(model), quad, T));
  }

  function checkSteps(steps) {
    for (const s of steps) {
      if (!(Number.isInteger(s) && s >= 0)) {
        throw new RangeError(`The 'steps' parameter must be integers >= 0. Got ${s} instead.`);
      }
    }
  }

  /**
   * The SGD theory's modes for (model, N, lr, batch, schedule, horizon), checked for stability
   * (train_curve before the recursion): {modes, lrs, residual}. `quad` and `cache` may be
   * passed to reuse (contourModes).
   */
  function sgdSetup(model, N, horizon, lr, batch, schedule, quad, cache) {
    const lrs = learningRates(schedule, lr, horizon);
    let etaMax = lr;
    if (lrs.length) {
      etaMax = -Infinity;
      for (const v of lrs) etaMax = Math.max(etaMax, v);
    }
    const beta = 1.0 + 1.0 / batch;
    const modes = contourModes(model, N, (0.9 * 2.0) / (beta * etaMax), quad, cache);
    const two = 2.0 * etaMax;
    const e2 = etaMax * etaMax;
    for (let k = 0; k < modes.zr.length; k++) {
      const cr = modes.zr[k];
      const ci = modes.zi[k];
      const br = beta * cr;
      const bi = beta * ci;
      const ar = 1.0 - two * cr + e2 * (br * cr - bi * ci);
      const ai = -(two * ci) + e2 * (br * ci + bi * cr);
      if (Math.hypot(ar, ai) > 1.0 + 1e-9) {
        const limit = theoryStableLr(model, N, batch, quad, cache);
        throw new RangeError("The 'lr' parameter must be below the SGD stability range for " +
          `N = ${N} (about ${limit.toPrecision(4)}). Got ${etaMax} instead.`);
      }
    }
    const noise = model.noise || 0;
    return { modes: modes, lrs: lrs, residual: modes.floor + noise * noise };
  }

  /**
   * The deterministic-equivalent loss after each of `steps` updates (train_curve): one-pass SGD
   * (optimizer 'sgd', batch, schedule) or full-batch GD on T samples (optimizer 'gd', constant
   * lr). Constant-schedule SGD beyond DOUBLING_FROM steps composes the map by doubling, as the
   * Python does. Returns an array of losses in the order of `steps`.
   */
  function trainCurve(model, N, steps, lr, options) {
    const opts = Object.assign({ batch: 1, schedule: 'constant', optimizer: 'sgd', T: null },
      options || {});
    steps = Array.from(steps);
    checkSteps(steps);
    if (opts.optimizer === 'gd') {
      if (opts.T === null) {
        throw new RangeError("The 'T' parameter must be an integer >= 1 for GD. Got None " +
          'instead.');
      }
      return gdTrainCurve(model, N, opts.T, steps, lr, opts.quad);
    }
    const horizon = steps.length ? Math.max(...steps) : 0;
    const setup = sgdSetup(model, N, horizon, lr, opts.batch, opts.schedule, opts.quad);
    if (opts.schedule === 'constant' && horizon > DOUBLING_FROM) {
      return sgdModeLossesConstant(setup.modes, setup.residual, lr, opts.batch, steps);
    }
    return sgdModeLosses(setup.modes, setup.residual, setup.lrs, opts.batch, steps);
  }

  // ------------------------------------------------------------------ gd_theory.py
  /** Closed contour around (0, R]: the lower path (ray and arc) and its reflection (_contour). */
  function gdContour(xLow, R) {
    const lo = Math.log(xLow) - DECADES_BELOW * Math.log(10.0);
    const hi = Math.log(R);
    const panels = Math.max(4, Math.ceil((PANELS_PER_DECADE * (hi - lo)) / Math.log(10.0)));
    const ray = gaussPanels(lo, hi, panels);
    const arc = gaussPanels(-RAY_ANGLE, 0.0, 2);
    const half = ray.x.length + arc.x.length;
    const zr = new Float64Array(2 * half);
    const zi = new Float64Array(2 * half);
    const dr = new Float64Array(2 * half);
    const di = new Float64Array(2 * half);
    const rotR = Math.cos(0.25);
    const rotI = -Math.sin(0.25);
    for (let k = 0; k < ray.x.length; k++) {
      const ex = Math.exp(ray.x[k]);
      zr[k] = ex * rotR;
      zi[k] = ex * rotI;
      dr[k] = zr[k] * ray.w[k];
      di[k] = zi[k] * ray.w[k];
    }
    for (let k = 0; k < arc.x.length; k++) {
      const j = ray.x.length + k;
      zr[j] = R * Math.cos(arc.x[k]);
      zi[j] = R * Math.sin(arc.x[k]);
      dr[j] = -zi[j] * arc.w[k];
      di[j] = zr[j] * arc.w[k];
    }
    for (let k = 0; k < half; k++) { // the reflection: conj(zeta), -conj(dzeta)
      zr[half + k] = zr[k];
      zi[half + k] = -zi[k];
      dr[half + k] = -dr[k];
      di[half + k] = di[k];
    }
    return { zr: zr, zi: zi, dr: dr, di: di };
  }

  function cmul(ar, ai, br, bi) {
    return [ar * br - ai * bi, ar * bi + ai * br];
  }

  /**
   * log|x| of a complex x, as accurately as the C library's clog: near |x| = 1 from
   * log1p((Re x - 1)(Re x + 1) + (Im x)^2) (Re x - 1 is exact there), else log(hypot).
   */
  function clogAbs(xr, xi) {
    const r = Math.hypot(xr, xi);
    if (r > 0.5 && r < 2.0) return 0.5 * Math.log1p((xr - 1.0) * (xr + 1.0) + xi * xi);
    return Math.log(r);
  }

  /** cdiv into out[0], out[1] (no allocation: the GD kernel's K^2 loop). */
  function cdivInto(out, ar, ai, br, bi) {
    const abr = Math.abs(br);
    const abi = Math.abs(bi);
    if (abr >= abi) {
      if (abr === 0 && abi === 0) {
        out[0] = ar / abr;
        out[1] = ai / abi;
        return;
      }
      const rat = bi / br;
      const scl = 1.0 / (br + bi * rat);
      out[0] = (ar + ai * rat) * scl;
      out[1] = (ai - ar * rat) * scl;
      return;
    }
    const rat = br / bi;
    const scl = 1.0 / (bi + br * rat);
    out[0] = (ar * rat + ai) * scl;
    out[1] = (ai * rat - ar) * scl;
  }

  /**
   * Deterministic-equivalent test loss of full-batch GD after each of `steps` updates on T
   * samples with N < M features (gd_train_curve): the four traces of docs/dynamics.md §4b as
   * contour sums, the double trace a quadratic form over node pairs. The reflected half of the
   * contour is the complex conjugate of the lower half, and so are Delta and the kernel there
   * (the equations are real): they are computed once.
   */
  function gdTrainCurve(model, N, T, steps, lr, quad) {
    const M = Math.floor(model.M);
    if (N >= M) {
      throw new RangeError(`The 'N' parameter must be below M = ${M} for the GD theory. ` +
        `Got ${N} instead.`);
    }
    quad = quad || latentQuadrature(model);
    const s2 = featureScale(model);
    const s = new Float64Array(6);
    const deltaN = realDelta(1e-300, N, s2, quad, null);
    const tauN = sumsComplex(deltaN, 0.0, quad, true, s)[4];
    const floor = Math.max(quad.signal - tauN, 0.0);
    const noise = model.noise || 0;
    const residual = floor + noise * noise;
    const xTop = topEdge(N, s2, quad, T);
    const limit = (2.0 * Math.cos(RAY_ANGLE)) / lr;
    const R = Math.min(1.5 * xTop, 0.5 * (xTop + limit));
    if (R <= 1.02 * xTop) {
      throw new RangeError("The 'lr' parameter must be below the GD stability limit (about " +
        `${(2 / xTop).toPrecision(4)} at N = ${N}, T = ${T}) with some margin. Got ${lr} ` +
        'instead.');
    }
    const deltaP = realDelta(1e-300, N, s2, quad, T);
    const invT = 1.0 / T; // NumPy divides a complex array by T as times 1/T
    const c = gdContour(s2 * deltaP, R);
    const K = c.zr.length;
    const half = K / 2;
    const zr = c.zr.map((v) => -v);
    const zi = c.zi.map((v) => -v);
    const [hr, hi] = solveDelta(zr.subarray(0, half), zi.subarray(0, half), N, s2, quad, T);
    const dr = new Float64Array(K);
    const di = new Float64Array(K);
    for (let k = 0; k < half; k++) {
      dr[k] = hr[k];
      di[k] = hi[k];
      dr[half + k] = hr[k];
      di[half + k] = -hi[k];
    }
    const tmp = new Float64Array(2);
    // per node: kappa = s2 Delta (N - d1), m = 1/(s2 Delta), tau, d1, and the diagonal limits
    const kr = new Float64Array(K);
    const ki = new Float64Array(K);
    const mr = new Float64Array(K);
    const mi = new Float64Array(K);
    const tr = new Float64Array(K);
    const ti = new Float64Array(K);
    const d1r = new Float64Array(K);
    const d1i = new Float64Array(K);
    const Xdr = new Float64Array(K);
    const Xdi = new Float64Array(K);
    const Qdr = new Float64Array(K);
    const Qdi = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      sumsComplex(dr[k], di[k], quad, true, s);
      d1r[k] = s[0];
      d1i[k] = s[1];
      tr[k] = s[4];
      ti[k] = s[5];
      [kr[k], ki[k]] = cmul(s2 * dr[k], s2 * di[k], N - s[0], -s[1]);
      [mr[k], mi[k]] = cdiv(1.0, 0.0, s2 * dr[k], s2 * di[k]);
      // dkappa = s2 (N - d1 + e); dtau = -(sum pl/(lam + delta)^2)/dkappa; dm = -1/(s2 delta^2 dk)
      const dkr = s2 * (N - s[0] + s[2]);
      const dki = s2 * (-s[1] + s[3]);
      let i2r = 0;
      let i2i = 0;
      for (let q = 0; q < quad.lam.length; q++) {
        const xr = quad.lam[q] + dr[k];
        const xi = di[k];
        cdivInto(tmp, 1.0, 0.0, xr * xr - xi * xi, xr * xi + xi * xr); // 1/(lambda + delta)^2
        i2r += tmp[0] * quad.powerLam[q];
        i2i += tmp[1] * quad.powerLam[q];
      }
      const [dtr, dti] = cdiv(-i2r, -i2i, dkr, dki);
      const [d2r, d2i] = cmul(dr[k], di[k], dr[k], di[k]);
      const [sdr, sdi] = cmul(s2 * d2r, s2 * d2i, dkr, dki);
      const [dmr, dmi] = cdiv(-1.0, 0.0, sdr, sdi);
      // X_kk = (tau_N - tau)/kappa^2 + dtau/kappa ; Q_kk = (N - 2 kappa m - kappa^2 dm)/T
      const [k2r, k2i] = cmul(kr[k], ki[k], kr[k], ki[k]);
      const [ar, ai] = cdiv(tauN - tr[k], -ti[k], k2r, k2i);
      const [br, bi] = cdiv(dtr, dti, kr[k], ki[k]);
      Xdr[k] = ar + br;
      Xdi[k] = ai + bi;
      const [km2r, km2i] = cmul(2 * kr[k], 2 * ki[k], mr[k], mi[k]);
      const [kdr, kdi] = cmul(k2r, k2i, dmr, dmi);
      Qdr[k] = (N - km2r - kdr) * invT;
      Qdi[k] = (-km2i - kdi) * invT;
    }
    // W(z_i, z_j) = (k_i k_j/(z_i z_j)) X_ij/(1 - Q_ij), row-major, the rows of the lower half
    // of the contour: the reflected rows are their conjugates, and since dzeta q is minus the
    // conjugate there too, Re sum_ij wq_i W_ij wq_j = 2 Re sum_(i < K/2) wq_i (W wq)_i
    const Wr = new Float64Array(half * K);
    const Wi = new Float64Array(half * K);
    for (let i = 0; i < half; i++) {
      const kir = kr[i];
      const kii = ki[i];
      for (let j = 0; j < K; j++) {
        const kjr = kr[j];
        const kji = ki[j];
        const kkr = kir * kjr - kii * kji;
        const kki = kir * kji + kii * kjr;
        let Xr;
        let Xi;
        let Qr;
        let Qi;
        if (i === j) {
          Xr = Xdr[i];
          Xi = Xdi[i];
          Qr = Qdr[i];
          Qi = Qdi[i];
        } else {
          // X = tau_N/(ki kj) + ti/(ki (ki - kj)) + tj/(kj (kj - ki))
          cdivInto(tmp, tauN, 0.0, kkr, kki);
          Xr = tmp[0];
          Xi = tmp[1];
          const ur = kir - kjr;
          const ui = kii - kji;
          cdivInto(tmp, tr[i], ti[i], kir * ur - kii * ui, kir * ui + kii * ur);
          Xr += tmp[0];
          Xi += tmp[1];
          cdivInto(tmp, tr[j], ti[j], kjr * -ur - kji * -ui, kjr * -ui + kji * -ur);
          Xr += tmp[0];
          Xi += tmp[1];
          // Q = (N - ki mi - kj mj + ki kj (mi - mj)/(kj - ki))/T
          const b1r = kir * mr[i] - kii * mi[i];
          const b1i = kir * mi[i] + kii * mr[i];
          const b2r = kjr * mr[j] - kji * mi[j];
          const b2i = kjr * mi[j] + kji * mr[j];
          const vr = mr[i] - mr[j];
          const vi = mi[i] - mi[j];
          cdivInto(tmp, kkr * vr - kki * vi, kkr * vi + kki * vr, kjr - kir, kji - kii);
          Qr = (N - b1r - b2r + tmp[0]) * invT;
          Qi = (-b1i - b2i + tmp[1]) * invT;
        }
        const zzr = zr[i] * zr[j] - zi[i] * zi[j];
        const zzi = zr[i] * zi[j] + zi[i] * zr[j];
        cdivInto(tmp, kkr, kki, zzr, zzi);
        const pr = tmp[0];
        const pi = tmp[1];
        cdivInto(tmp, pr * Xr - pi * Xi, pr * Xi + pi * Xr, 1.0 - Qr, -Qi);
        Wr[i * K + j] = tmp[0];
        Wi[i * K + j] = tmp[1];
      }
    }
    // per node: log(1 - lr zeta) and the single-trace weights
    const lgr = new Float64Array(K);
    const lgi = new Float64Array(K);
    const f1r = new Float64Array(K); // -(tau_N - tau)/z
    const f1i = new Float64Array(K);
    const fvr = new Float64Array(K); // -(kappa/z) d1
    const fvi = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      const xr = 1.0 - lr * c.zr[k];
      const xi = -(lr * c.zi[k]);
      lgr[k] = clogAbs(xr, xi);
      lgi[k] = Math.atan2(xi, xr);
      const [ar, ai] = cdiv(tauN - tr[k], -ti[k], zr[k], zi[k]);
      f1r[k] = -ar;
      f1i[k] = -ai;
      const [pr, pi] = cdiv(kr[k], ki[k], zr[k], zi[k]);
      const [br, bi] = cmul(pr, pi, d1r[k], d1i[k]);
      fvr[k] = -br;
      fvi[k] = -bi;
    }
    const out = new Float64Array(steps.length);
    const wqr = new Float64Array(K);
    const wqi = new Float64Array(K);
    const scale = 1.0 / (2 * Math.PI); // 1/(2 pi i) is -i times this
    for (let n = 0; n < steps.length; n++) {
      const t = steps[n];
      let T1r = 0;
      let T1i = 0;
      let Vr = 0;
      let Vi = 0;
      for (let k = 0; k < K; k++) {
        // q = 1 - exp(t log(1 - lr zeta)); wq = dzeta q
        const ex = Math.exp(t * lgr[k]);
        const qr = 1.0 - ex * Math.cos(t * lgi[k]);
        const qi = -(ex * Math.sin(t * lgi[k]));
        const wr = c.dr[k] * qr - c.di[k] * qi;
        const wi = c.dr[k] * qi + c.di[k] * qr;
        wqr[k] = wr;
        wqi[k] = wi;
        T1r += wr * f1r[k] - wi * f1i[k];
        T1i += wr * f1i[k] + wi * f1r[k];
        cdivInto(tmp, wr * qr - wi * qi, wr * qi + wi * qr, c.zr[k], c.zi[k]); // wq q/zeta
        Vr += tmp[0] * fvr[k] - tmp[1] * fvi[k];
        Vi += tmp[0] * fvi[k] + tmp[1] * fvr[k];
      }
      let T2r = 0;
      let T2i = 0;
      for (let i = 0; i < half; i++) {
        let sr = 0;
        let si = 0;
        const row = i * K;
        for (let j = 0; j < K; j++) {
          sr += Wr[row + j] * wqr[j] - Wi[row + j] * wqi[j];
          si += Wr[row + j] * wqi[j] + Wi[row + j] * wqr[j];
        }
        T2r += wqr[i] * sr - wqi[i] * si;
        T2i += wqr[i] * si + wqi[i] * sr;
      }
      // Re[x/(2 pi i)] = Im(x)/(2 pi); Re[x/(2 pi i)^2] = -Re(x)/(4 pi^2)
      const t1 = T1i * scale;
      const v = Vi * scale * invT;
      const t2 = -(scale * scale) * (2.0 * T2r);
      const excess = tauN - 2.0 * t1 + t2 + residual * v;
      out[n] = 0.5 * (Math.max(excess, 0.0) + floor);
    }
    return out;
  }

  return {
    HEAD, DOUBLING_FROM, SCHEDULES,
    linspace, geomspace, latentQuadrature, realDelta, solveDelta, topEdge, contourModes,
    sgdModeLosses, sgdModeLossesConstant, learningRates, theoryStableLr, gdStableLr,
    sgdSetup, trainCurve, gdTrainCurve,
  };
});
