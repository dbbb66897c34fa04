/*
 * The deterministic equivalent of the linear random-feature model, in the page.
 *
 * A port, one point at a time, of the Python theory of scalinglab:
 *   theory/spectral.py  PowerLawSpectrum (the spectral functionals d1, d2, e, b1, b2 of the
 *                       power-law spectrum with an isotropic teacher: the model the page shows)
 *   theory/solvers.py   bracketed_newton (safeguarded Newton on a bracket, in x = log Delta)
 *   theory/equivalent.py ridgeless_delta, fixed_point, loss_terms, _ridgeless_terms, _evaluate
 *   theory/regimes.py   classify_regime
 *   theory/optimal.py   _optimal_ridge_spectrum, compute_optimal (default cost N T)
 * Same equations, same brackets, same stopping rules: the golden-vector test
 * (tests/explore/test_golden.py) runs this file under Node.js and compares it with
 * scalinglab.predict at a few hundred points to 1e-9 relative. The equations are written out in
 * the docstrings of those Python modules (spec sections as cited there).
 *
 * The special functions SciPy provides to the Python (the regularised incomplete beta function,
 * the beta function, the Hurwitz zeta difference) are written here: a continued fraction
 * (modified Lentz), the Lanczos gamma function and an Euler-Maclaurin sum. The three tails share
 * their incomplete-beta prefactors t^p w^q (the parameters differ by one), which saves two thirds
 * of the pow() calls of the slider path; nothing else departs from the Python's arithmetic.
 *
 * Works as a browser script (global ScalingTheory) and as a CommonJS module (Node.js).
 */
(function (root, factory) {
  'use strict';
  const api = factory();
  if (typeof module === 'object' && module.exports) {
    module.exports = api;
  } else {
    root.ScalingTheory = api;
  }
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  // spectral.py: latent directions summed exactly before the Euler-Maclaurin tail, and terms.
  const HEAD = 64;
  const EM_TERMS = 5;
  // B_2k / (2k)! for k = 1..5 (B_2 = 1/6, B_4 = -1/30, B_6 = 1/42, B_8 = -1/30, B_10 = 5/66).
  const BERNOULLI = [1 / 6 / 2, -1 / 30 / 24, 1 / 42 / 720, -1 / 30 / 40320, 5 / 66 / 3628800];
  // equivalent.py: below this ridge / (N T Delta_P) the ridge is numerically zero for N != T.
  const TINY_RIDGE = 1e-12;
  // regimes.py
  const BREAKDOWN_FRACTION = 0.1;
  // optimal.py
  const GOLDEN = (Math.sqrt(5.0) - 1.0) / 2.0;
  const GRID_STEP = 0.1;
  const X_TOL = 1e-5;

  const REASONS = {
    peak: 'ridgeless interpolation peak N = T < M: the expected test loss diverges (docs/theory.md §6); ' +
      'use ridge > 0',
    noisyEdge: 'T = M <= N at ridge 0: the label-noise variance diverges (docs/theory.md §6)',
    cleanEdge: 'T = M <= N at ridge 0 without noise: exact recovery, loss 0 (docs/theory.md §12)',
    notConverged: 'the fixed-point solver did not converge (see residual)',
  };

  const REGIMES = {
    interpolation_peak: 'ridge 0 and N = T < M: the loss diverges (double descent)',
    ridge_limited: 'the ridge sets the effective dimension: d1 < min(N, T, M)/2',
    saturated: 'N, T >= M: latent function resolved; only label noise remains (1/T law)',
    plateau_N: 'N >= M > T: plateau in N at the kernel value, power law in T',
    plateau_T: 'T >= M > N: plateau in T at the approximation error, power law in N',
    breakdown: 'P approaching M: finite-M corrections, loss below the P^-alpha law',
    power_law: 'P << M: loss ~ P^-alpha / (1 - P/Q)',
  };

  // ------------------------------------------------------------------ special functions
  const LANCZOS_G = 7;
  const LANCZOS = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];

  /** The gamma function for x > 0 (Lanczos, g = 7; relative error ~1e-15). */
  function gamma(x) {
    if (x < 0.5) {
      return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
    }
    const z = x - 1;
    let sum = LANCZOS[0];
    for (let i = 1; i < LANCZOS.length; i++) {
      sum += LANCZOS[i] / (z + i);
    }
    const t = z + LANCZOS_G + 0.5;
    return Math.sqrt(2 * Math.PI) * Math.pow(t, z + 0.5) * Math.exp(-t) * sum;
  }

  /** The beta function B(p, q) = G(p) G(q) / G(p + q). */
  function beta(p, q) {
    return (gamma(p) * gamma(q)) / gamma(p + q);
  }

  /** Continued fraction of the incomplete beta function (modified Lentz). */
  function betaFraction(a, b, x) {
    const tiny = 1e-300;
    const qab = a + b;
    const qap = a + 1;
    const qam = a - 1;
    let c = 1;
    let d = 1 - (qab * x) / qap;
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    let h = d;
    for (let m = 1; m <= 1000; m++) {
      const m2 = 2 * m;
      let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
      d = 1 + aa * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + aa / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      h *= d * c;
      aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
      d = 1 + aa * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + aa / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      const del = d * c;
      h *= del;
      if (Math.abs(del - 1) < 3e-16) break;
    }
    return h;
  }

  /**
   * The regularised incomplete beta function I_x(a, b) (scipy.special.betainc(a, b, x)), given
   * x, y = 1 - x (each computed by the caller without cancellation), power = x^a y^b and
   * betaAB = B(a, b): the continued fraction where it converges fast, else the complement.
   */
  function ibeta(a, b, x, y, power, betaAB) {
    if (x <= 0) return 0;
    if (y <= 0) return 1;
    if (x > (a + 1) / (a + b + 2)) {
      return 1 - (power / (b * betaAB)) * betaFraction(b, a, y);
    }
    return (power / (a * betaAB)) * betaFraction(a, b, x);
  }

  /** I_x(a, b) from x and y = 1 - x alone (tests and one-off use). */
  function betainc(a, b, x, y, betaAB) {
    return ibeta(a, b, x, y, Math.pow(x, a) * Math.pow(y, b), betaAB);
  }

  // ------------------------------------------------------------------ spectral.py
  /** Coefficients s(k, m), m = 0..k, of the falling factorial (ascending powers). */
  function stirlingFirst(k) {
    let poly = [1.0];
    for (let j = 0; j < k; j++) {
      poly = convolve(poly, [-j, 1.0]);
    }
    return poly;
  }

  function convolve(u, v) {
    const out = new Array(u.length + v.length - 1).fill(0);
    for (let i = 0; i < u.length; i++) {
      for (let j = 0; j < v.length; j++) {
        out[i + j] += u[i] * v[j];
      }
    }
    return out;
  }

  /** theta = u d/du on a homogeneous polynomial sum_i c_i v^i w^(n-i) (spectral._theta). */
  function theta(coeffs) {
    const n = coeffs.length - 1;
    const out = new Array(n + 2).fill(0);
    for (let i = 0; i <= n; i++) {
      out[i] += i * coeffs[i];
      out[i + 1] -= (n - i) * coeffs[i];
    }
    return out;
  }

  /** spectral._derivative_tables: the terms s(k,m) a^m theta^m g for each order k. */
  function derivativeTables(base, a, orders) {
    const powers = [base];
    const top = Math.max(...orders);
    for (let i = 0; i < top; i++) {
      powers.push(theta(powers[powers.length - 1]));
    }
    return orders.map((k) => {
      const s = stirlingFirst(k);
      const terms = [];
      for (let m = 1; m <= k; m++) {
        if (s[m] !== 0) {
          const am = Math.pow(a, m);
          terms.push(powers[m].map((c) => s[m] * am * c));
        }
      }
      return terms;
    });
  }

  /** sum_i c_i v^i w^(n-i) (Horner in v, the powers of w built up as in the Python). */
  function evalHomogeneous(coeffs, v, w) {
    const n = coeffs.length - 1;
    let wk = 1.0;
    let total = coeffs[n] * wk;
    for (let i = n - 1; i >= 0; i--) {
      wk *= w;
      total = total * v + coeffs[i] * wk;
    }
    return total;
  }

  /** sum_{J=1}^{M} J^-a (Python: zeta(a) - zeta(a, M + 1)), summed exactly or by Euler-Maclaurin. */
  function powerSum(M, a) {
    const head = Math.min(M, 4096);
    let total = 0;
    for (let J = head; J >= 1; J--) {
      total += Math.pow(J, -a);
    }
    if (head === M) return total;
    // J = head+1..M: integral + endpoint average + Bernoulli corrections (derivatives of x^-a).
    const A = head + 1;
    const B = M;
    const alpha = a - 1;
    let sum = (-Math.pow(A, -alpha) * Math.expm1(-alpha * Math.log(B / A))) / alpha;
    sum += 0.5 * (Math.pow(A, -a) + Math.pow(B, -a));
    for (let k = 1; k <= EM_TERMS; k++) {
      const order = 2 * k - 1;
      let fall = 1; // (-a)(-a-1)...(-a-order+1)
      for (let j = 0; j < order; j++) fall *= -a - j;
      sum += BERNOULLI[k - 1] * fall * (Math.pow(B, -a - order) - Math.pow(A, -a - order));
    }
    return total + sum;
  }

  const SUMMANDS = ['d1', 'e', 'd2']; // the order of the tails below

  /**
   * Spectral sums for lambda_J = lambda_plus J^-(1+alpha), J = 1..M, isotropic teacher omega
   * (spectral.PowerLawSpectrum): the head J <= 64 summed exactly, the tail by Euler-Maclaurin
   * whose integral is an incomplete beta function. O(1) per Delta whatever M is.
   */
  function PowerLawSpectrum(M, alpha, lambdaPlus, omega) {
    this.M = Math.floor(M);
    this.alpha = alpha;
    this.lambdaPlus = lambdaPlus;
    this.omega = omega;
    this.a = 1.0 + alpha;
    const a = this.a;
    this.head = this.M > 4 * HEAD ? HEAD : this.M;
    this.headLam = new Float64Array(this.head);
    for (let J = 1; J <= this.head; J++) {
      this.headLam[J - 1] = lambdaPlus * Math.pow(J, -a);
    }
    this.total = lambdaPlus * powerSum(this.M, a);
    this.lambdaMax = lambdaPlus;
    this.lambdaMin = lambdaPlus * Math.pow(this.M, -a);
    if (this.head < this.M) {
      const bases = { d1: [1.0, 0.0], e: [0.0, 1.0, 0.0], d2: [1.0, 0.0, 0.0] };
      const orders = [];
      for (let k = 1; k <= EM_TERMS; k++) orders.push(2 * k - 1);
      this.ends = [this.head + 1, this.M];
      this.corrections = [];
      for (const name of SUMMANDS) {
        const base = bases[name];
        const tables = derivativeTables(base, a, orders);
        const degree = base.length - 1 + Math.max(...orders);
        this.corrections.push(this.ends.map((x) => {
          const total = new Array(degree + 1).fill(0);
          for (let k = 0; k < orders.length; k++) {
            const scale = BERNOULLI[k] * Math.pow(x, -orders[k]);
            for (const term of tables[k]) {
              let lifted = term;
              while (lifted.length < degree + 1) lifted = convolve(lifted, [1.0, 1.0]);
              for (let i = 0; i <= degree; i++) total[i] += scale * lifted[i];
            }
          }
          return total;
        }));
      }
      // incomplete-beta parameters of d1, e, d2 (PowerLawSpectrum._beta)
      this.betaP = [1.0 / a, 1.0 + 1.0 / a, 1.0 / a];
      this.betaQ = [1.0 - 1.0 / a, 1.0 - 1.0 / a, 2.0 - 1.0 / a];
      this.betaValues = this.betaP.map((p, k) => beta(p, this.betaQ[k]));
      this.endPowers = this.ends.map((x) => Math.pow(x, a));
    }
  }

  /** d1, d2, e, b1, b2 at one Delta > 0 (PowerLawSpectrum.functionals). */
  PowerLawSpectrum.prototype.functionals = function (delta) {
    const lam = this.headLam;
    let d1 = 0;
    let d2 = 0;
    let e = 0;
    for (let i = 0; i < lam.length; i++) {
      const inv = 1.0 / (lam[i] + delta);
      const r = lam[i] * inv;
      d1 += r;
      d2 += r * r;
      e += r * (delta * inv);
    }
    if (this.head < this.M) {
      const c = delta / this.lambdaPlus;
      const uA = c * this.endPowers[0];
      const uB = c * this.endPowers[1];
      const tA = uA / (1.0 + uA);
      const tB = uB / (1.0 + uB);
      const wA = 1.0 / (1.0 + uA);
      const wB = 1.0 / (1.0 + uB);
      const root = Math.pow(c, -1.0 / this.a) / this.a;
      // t^p w^q of d1 at each end; e has (p + 1, q) and d2 (p, q + 1): times t or w
      const powA = Math.pow(tA, this.betaP[0]) * Math.pow(wA, this.betaQ[0]);
      const powB = Math.pow(tB, this.betaP[0]) * Math.pow(wB, this.betaQ[0]);
      d1 += this.tail(0, root, tA, tB, wA, wB, wA, wB, powA, powB);
      d2 += this.tail(2, root, tA, tB, wA, wB, wA * wA, wB * wB, powA * wA, powB * wB);
      e += this.tail(1, root, tA, tB, wA, wB, tA * wA, tB * wB, powA * tA, powB * tB);
    }
    return { d1: d1, d2: d2, e: e, b1: this.omega * delta * d1, b2: this.omega * delta * e };
  };

  /**
   * The Euler-Maclaurin tail J = head+1..M of summand k (0: d1, 1: e, 2: d2): the integral
   * (incomplete beta, PowerLawSpectrum._integral), the trapezoid ends fA, fB and the Bernoulli
   * corrections (PowerLawSpectrum._endpoint), at t = u/(1+u), w = 1/(1+u) of both ends; fA, fB
   * are the summand and powA, powB the incomplete-beta prefactor t^p w^q at the ends.
   */
  PowerLawSpectrum.prototype.tail = function (k, root, tA, tB, wA, wB, fA, fB, powA, powB) {
    const p = this.betaP[k];
    const q = this.betaQ[k];
    const bpq = this.betaValues[k];
    let integral;
    if (tA < 0.5) {
      integral = ibeta(p, q, tB, wB, powB, bpq) - ibeta(p, q, tA, wA, powA, bpq);
    } else {
      integral = ibeta(q, p, wA, tA, powA, bpq) - ibeta(q, p, wB, tB, powB, bpq);
    }
    const cA = evalHomogeneous(this.corrections[k][0], tA, wA);
    const cB = evalHomogeneous(this.corrections[k][1], tB, wB);
    return root * bpq * integral + 0.5 * (fA + fB) + (cB - cA);
  };

  // spectral.py: terms of the hypergeometric series of the complement's tail integral
  const SERIES_TERMS = 80;

  /**
   * M - d1 = sum Delta/(lambda + Delta) without the cancellation of M - d1 as Delta -> 0
   * (PowerLawSpectrum.complement): the head summed directly, the tail by Euler-Maclaurin on
   * v = u/(1+u) = 1 - w (corrections minus those of d1) whose integral, while u_M <= 1, is the
   * hypergeometric series of vIntegral; for u_M > 1, (M - head) - tail(d1) loses nothing.
   */
  PowerLawSpectrum.prototype.complement = function (delta) {
    let out = 0;
    for (let i = 0; i < this.headLam.length; i++) out += delta / (this.headLam[i] + delta);
    if (this.head < this.M) {
      const c = delta / this.lambdaPlus;
      const A = this.ends[0];
      const B = this.ends[1];
      const uA = c * this.endPowers[0];
      const uB = c * this.endPowers[1];
      const tA = uA / (1.0 + uA);
      const tB = uB / (1.0 + uB);
      const wA = 1.0 / (1.0 + uA);
      const wB = 1.0 / (1.0 + uB);
      if (uB <= 1.0) {
        const cA = evalHomogeneous(this.corrections[0][0], tA, wA);
        const cB = evalHomogeneous(this.corrections[0][1], tB, wB);
        out += this.vIntegral(c, B) - this.vIntegral(c, A) + 0.5 * (tA + tB) - (cB - cA);
      } else {
        const root = Math.pow(c, -1.0 / this.a) / this.a;
        const powA = Math.pow(tA, this.betaP[0]) * Math.pow(wA, this.betaQ[0]);
        const powB = Math.pow(tB, this.betaP[0]) * Math.pow(wB, this.betaQ[0]);
        out += (B - A + 1.0) - this.tail(0, root, tA, tB, wA, wB, wA, wB, powA, powB);
      }
    }
    return out;
  };

  /**
   * The integral of u/(1+u) over x from 0 to X, u = c x^a <= 1 (PowerLawSpectrum._v_integral):
   * c X^(a+1) w^p/(a+1) 2F1(p, p; p+1; t), p = 1 + 1/a, t = u/(1+u) <= 1/2, by its series.
   */
  PowerLawSpectrum.prototype.vIntegral = function (c, X) {
    const a = this.a;
    const p = 1.0 + 1.0 / a;
    const u = c * Math.pow(X, a);
    const t = u / (1.0 + u);
    const w = 1.0 / (1.0 + u);
    let total = 1.0;
    let poch = 1.0;
    let power = 1.0;
    for (let n = 1; n < SERIES_TERMS; n++) {
      poch *= (p + n - 1.0) / n;
      power *= t;
      total += ((p / (p + n)) * poch) * power;
    }
    return (((c * Math.pow(X, a + 1.0)) * Math.pow(w, p)) / (a + 1.0)) * total;
  };

  /** The spectrum of a data model {M, alpha, lambda_plus, sigma_w} (equivalent.spectrum_of). */
  function spectrumOf(model) {
    return new PowerLawSpectrum(model.M, model.alpha, model.lambda_plus,
      (model.sigma_w * model.sigma_w) / Math.floor(model.M));
  }

  // ------------------------------------------------------------------ solvers.py
  /**
   * Solve g(x) = 0 for increasing g on [lo, hi] with g(lo) < 0 <= g(hi): a Newton step when it
   * stays strictly inside the bracket and the residual halves, otherwise bisection.
   */
  function bracketedNewton(func, lo, hi, ftol = 1e-14, xtol = 4e-16, maxiter = 300) {
    let x = hi;
    let residual = Infinity;
    let converged = false;
    let iterations = 0;
    let previous = Infinity;
    for (let it = 0; it < maxiter; it++) {
      const xa = x;
      const [g, dg] = func(xa);
      iterations += 1;
      residual = Math.abs(g);
      if (g < 0) {
        lo = xa;
      } else {
        hi = xa;
      }
      const width = hi - lo;
      const done = Math.abs(g) <= ftol || width <= xtol * Math.max(1.0, Math.abs(xa));
      const step = xa - g / dg;
      const good = Number.isFinite(step) && step > lo && step < hi && Math.abs(g) < 0.5 * previous;
      x = good ? step : 0.5 * (lo + hi);
      previous = Number.isFinite(g) ? Math.abs(g) : Infinity;
      if (done) {
        x = xa;
        converged = true;
        break;
      }
    }
    return { x: x, converged: converged, iterations: iterations, residual: residual };
  }

  // ------------------------------------------------------------------ equivalent.py
  /** Delta_P with d1(Delta_P) = P; 0 for P >= M (equivalent.ridgeless_delta). */
  function ridgelessDelta(spectrum, P) {
    if (!(P < spectrum.M)) {
      return { delta: 0, converged: true, iterations: 0, residual: 0 };
    }
    const logP = Math.log(P);
    const func = (x) => {
      const f = spectrum.functionals(Math.exp(x));
      return [logP - Math.log(f.d1), f.e / f.d1];
    };
    const lo = Math.log(spectrum.lambdaMin) - 50.0;
    const hi = Math.log(spectrum.total / P) + 1.0;
    const info = bracketedNewton(func, lo, hi);
    const delta = Math.exp(info.x);
    const residual = Math.abs(spectrum.functionals(delta).d1 / P - 1.0);
    return { delta: delta, converged: info.converged, iterations: info.iterations, residual };
  }

  /** Delta solving Delta (N - d1)(T - d1) = ridge' on d1 < P (equivalent.fixed_point). */
  function fixedPoint(spectrum, N, T, ridgeLambda, deltaP) {
    const lo = deltaP > 0 ? Math.log(deltaP) : Math.log(ridgeLambda / (N * T)) - 50.0;
    const hi = Math.log(ridgeLambda / (N * T) + spectrum.total * (1.0 / N + 1.0 / T));
    const logRidge = Math.log(ridgeLambda);
    const func = (x) => {
      const delta = Math.exp(x);
      const f = spectrum.functionals(delta);
      const [nd, td] = gaps(spectrum, f.d1, delta, N, T);
      if (!(nd > 0 && td > 0)) return [-Infinity, 1.0]; // d1 < min(N, T)
      const g = x + Math.log(nd) + Math.log(td) - logRidge;
      const dg = 1.0 + f.e / nd + f.e / td;
      return [g, dg];
    };
    const info = bracketedNewton(func, lo, hi);
    const delta = Math.exp(info.x);
    const f = spectrum.functionals(delta);
    const [nd, td] = gaps(spectrum, f.d1, delta, N, T);
    const residual = Math.abs((delta * nd * td) / ridgeLambda - 1.0);
    return { delta: delta, converged: info.converged, iterations: info.iterations, residual,
      functionals: f };
  }

  /**
   * N - d1 and T - d1 at Delta, without cancellation for sizes >= M: there (size - M) plus the
   * complement sum Delta/(lambda + Delta) (equivalent.gaps).
   */
  function gaps(spectrum, d1, delta, N, T) {
    let nd = N - d1;
    let td = T - d1;
    const M = spectrum.M;
    if (N >= M || T >= M) {
      const rest = spectrum.complement(delta);
      if (N >= M) nd = (N - M) + rest;
      if (T >= M) td = (T - M) + rest;
    }
    return [nd, td];
  }

  /**
   * [bias, variance] of the general-ridge formula (equivalent.loss_terms); `gap` = [N - d1,
   * T - d1] when computed without cancellation.
   */
  function lossTerms(f, N, T, noiseVar, gap) {
    const [nd, td] = gap === undefined ? [N - f.d1, T - f.d1] : gap;
    const D = nd * td + f.e * (nd + td);
    const bias = (T * (nd * f.b2 + f.e * f.b1)) / (2.0 * D);
    const variance = (noiseVar * (f.d2 * nd + f.e * f.d1)) / (2.0 * D);
    return [bias, variance];
  }

  /** [bias, variance] of the exact ridgeless limit; inf at N = T < M (_ridgeless_terms). */
  function ridgelessTerms(f, N, T, noiseVar, M) {
    let bias = 0;
    let variance = 0;
    const P = Math.min(N, T);
    if (P < M) {
      if (N < T) {
        bias = (T * f.b1) / (2.0 * (T - N));
        variance = (noiseVar * N) / (2.0 * (T - N));
      } else if (T < N) {
        bias = 0.5 * ((T * f.b2) / f.e + (T * f.b1) / (N - T));
        variance = 0.5 * noiseVar * (f.d2 / f.e + T / (N - T));
      } else {
        bias = f.b1 > 0 ? Infinity : 0.0;
        variance = noiseVar > 0 ? Infinity : 0.0;
      }
    } else if (T > M) {
      variance = (noiseVar * M) / (2.0 * (T - M));
    } else if (T === M) {
      variance = noiseVar > 0 ? Infinity : 0.0;
    }
    return [bias, variance];
  }

  /** The asymptotic regime label of one point (regimes.classify_regime). */
  function classifyRegime(N, T, ridge, d1, M) {
    const P = Math.min(N, T);
    if (ridge === 0 && N === T && P < M) return 'interpolation_peak';
    if (ridge > 0 && d1 < 0.5 * Math.min(P, M)) return 'ridge_limited';
    if (N >= M && T >= M) return 'saturated';
    if (N >= M && T < M) return 'plateau_N';
    if (T >= M && N < M) return 'plateau_T';
    if (P >= BREAKDOWN_FRACTION * M) return 'breakdown';
    return 'power_law';
  }

  function checkPoint(name, value, lowOpen) {
    if (!Number.isFinite(value) || (lowOpen ? value <= 0 : value < 0)) {
      const kind = lowOpen ? '(0, inf)' : '[0, inf)';
      throw new RangeError(`The '${name}' parameter must be finite floats in ${kind}. ` +
        `Got ${value} instead.`);
    }
  }

  /**
   * The deterministic equivalent at one point (equivalent._evaluate): loss, bias, variance,
   * train_loss, delta, kappa, d1, solver diagnostics, reason and regime.
   * `cache` (optional Map) keeps Delta_P per P between calls with the same spectrum.
   */
  function evaluate(spectrum, N, T, ridge, noise, featureScale, cache) {
    checkPoint('N', N, true);
    checkPoint('T', T, true);
    checkPoint('ridge', ridge, false);
    checkPoint('noise', noise, false);
    const M = spectrum.M;
    const noiseVar = noise * noise;
    const P = Math.min(N, T);
    let ridgeless = cache ? cache.get(P) : undefined;
    if (ridgeless === undefined) {
      ridgeless = ridgelessDelta(spectrum, P);
      if (cache) cache.set(P, ridgeless);
    }
    const deltaP = ridgeless.delta;
    let delta = deltaP;
    let converged = ridgeless.converged;
    let iterations = ridgeless.iterations;
    let residual = ridgeless.residual;
    const ridgeLambda = ridge / featureScale;
    const tiny = ridgeLambda / (N * T * deltaP) < TINY_RIDGE && P < M && N !== T;
    const general = ridge > 0 && !tiny;
    let f = null;
    if (general) {
      const fp = fixedPoint(spectrum, N, T, ridgeLambda, deltaP);
      delta = fp.delta;
      converged = fp.converged;
      iterations = fp.iterations;
      residual = fp.residual;
      f = fp.functionals;
    } else {
      f = spectrum.functionals(delta > 0 ? delta : 1.0);
    }
    const d1 = general ? f.d1 : Math.min(P, M);
    const fd = { d1: d1, d2: f.d2, e: f.e, b1: f.b1, b2: f.b2 };
    let nd = 0;
    let td = 0;
    if (general) {
      // at the root nd td = ridge'/Delta and td - nd = T - N exactly: both gaps follow from
      // Delta without the cancellation of N - d1, T - d1 (equivalent._evaluate)
      const q = ridgeLambda / delta;
      const s = T - N;
      const small = (2.0 * q) / (Math.abs(s) + Math.sqrt(s * s + 4.0 * q));
      nd = s >= 0 ? small : small - s;
      td = s >= 0 ? small + s : small;
    }
    const [bias, variance] = general ? lossTerms(fd, N, T, noiseVar, [nd, td]) :
      ridgelessTerms(fd, N, T, noiseVar, M);
    const loss = bias + variance;
    const factor = (general ? td / T : 1.0 - d1 / T) ** 2;
    const train = factor === 0.0 ? 0.0 : factor * (loss + 0.5 * noiseVar);
    let reason = converged ? '' : REASONS.notConverged;
    if (!general && ridge === 0) {
      if (P < M && N === T) reason = REASONS.peak;
      if (P >= M && T === M) reason = noiseVar > 0 ? REASONS.noisyEdge : REASONS.cleanEdge;
    }
    return {
      N: N, T: T, ridge: ridge, noise: noise,
      loss: loss, bias: bias, variance: variance, train_loss: train,
      delta: delta, kappa: featureScale * delta, d1: d1,
      converged: converged, iterations: iterations, residual: residual,
      reason: reason, regime: classifyRegime(N, T, ridge, d1, M),
    };
  }

  /** scalinglab.predict for a model {M, alpha, lambda_plus, sigma_w, sigma_u, noise}. */
  function predict(model, N, T, ridge, noise) {
    const M = Math.floor(model.M);
    const featureScale = (model.sigma_u * model.sigma_u) / M;
    return evaluate(spectrumOf(model), N, T, ridge,
      noise === undefined ? model.noise : noise, featureScale);
  }

  // ------------------------------------------------------------------ optimal.py
  /** General-ridge loss with the unphysical branch d1 >= P mapped to +inf (optimal._loss_at). */
  function lossAt(f, N, T, noiseVar, P) {
    const [bias, variance] = lossTerms(f, N, T, noiseVar);
    const loss = bias + variance;
    return f.d1 < P && Number.isFinite(loss) ? loss : Infinity;
  }

  /**
   * Optimal ridge at arrays of points (optimal._optimal_ridge_spectrum): one log-spaced grid in
   * Delta shared by all points, then a golden-section search run until every bracket is below
   * X_TOL. Returns arrays ridge, loss, bias, variance, delta, d1, converged, iterations.
   */
  function optimalRidgeMany(spectrum, Ns, Ts, noiseVars, featureScale, cache) {
    const n = Ns.length;
    const M = spectrum.M;
    const P = Ns.map((N, i) => Math.min(N, Ts[i]));
    const deltaP = P.map((p) => {
      let r = cache ? cache.get(p) : undefined;
      if (r === undefined) {
        r = ridgelessDelta(spectrum, p);
        if (cache) cache.set(p, r);
      }
      return r.delta;
    });
    let xLow = Infinity;
    let anyZero = false;
    for (const d of deltaP) {
      if (d > 0) xLow = Math.min(xLow, Math.log(d));
      else anyZero = true;
    }
    if (anyZero) xLow = Math.min(xLow, Math.log(spectrum.lambdaMin) - 20.0);
    const xHigh = Math.log(spectrum.total) + 5.0;
    const size = Math.max(0, Math.ceil((xHigh + GRID_STEP - xLow) / GRID_STEP));
    const grid = new Float64Array(size);
    const fg = [];
    for (let k = 0; k < size; k++) {
      grid[k] = xLow + k * GRID_STEP;
      fg.push(spectrum.functionals(Math.exp(grid[k])));
    }
    const out = {
      ridge: [], loss: [], bias: [], variance: [], delta: [], d1: [], converged: [],
      iterations: [],
    };
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    const atTop = [];
    const rLoss = [];
    const rParts = [];
    const fP = [];
    for (let i = 0; i < n; i++) {
      const f = spectrum.functionals(deltaP[i] > 0 ? deltaP[i] : 1.0);
      fP.push({ d1: Math.min(P[i], M), d2: f.d2, e: f.e, b1: f.b1, b2: f.b2 });
      rParts.push(ridgelessTerms(fP[i], Ns[i], Ts[i], noiseVars[i], M));
      rLoss.push(rParts[i][0] + rParts[i][1]);
      let best = 0;
      let bestLoss = Infinity;
      for (let k = 0; k < size; k++) {
        const L = lossAt(fg[k], Ns[i], Ts[i], noiseVars[i], P[i]);
        if (L < bestLoss) {
          bestLoss = L;
          best = k;
        }
      }
      const logDP = Math.log(deltaP[i] > 0 ? deltaP[i] : Math.exp(grid[0] - GRID_STEP));
      let firstValid = 0; // np.searchsorted(grid, logDP, 'right')
      while (firstValid < size && grid[firstValid] <= logDP) firstValid++;
      a[i] = best - 1 >= firstValid ? grid[Math.max(best - 1, 0)] : logDP;
      b[i] = grid[Math.min(best + 1, size - 1)];
      atTop.push(best === size - 1);
    }
    const evalAt = (x, i) =>
      lossAt(spectrum.functionals(Math.exp(x)), Ns[i], Ts[i], noiseVars[i], P[i]);
    const c = new Float64Array(n);
    const d = new Float64Array(n);
    const fc = new Float64Array(n);
    const fd = new Float64Array(n);
    let maxWidth = 0;
    for (let i = 0; i < n; i++) {
      c[i] = b[i] - GOLDEN * (b[i] - a[i]);
      d[i] = a[i] + GOLDEN * (b[i] - a[i]);
      fc[i] = evalAt(c[i], i);
      fd[i] = evalAt(d[i], i);
      maxWidth = Math.max(maxWidth, b[i] - a[i]);
    }
    let iterations = 2;
    while (maxWidth > X_TOL) {
      maxWidth = 0;
      for (let i = 0; i < n; i++) {
        const left = fc[i] < fd[i];
        if (left) {
          b[i] = d[i];
        } else {
          a[i] = c[i];
        }
        const x = left ? b[i] - GOLDEN * (b[i] - a[i]) : a[i] + GOLDEN * (b[i] - a[i]);
        const fx = evalAt(x, i);
        if (left) {
          d[i] = c[i];
          fd[i] = fc[i];
          c[i] = x;
          fc[i] = fx;
        } else {
          c[i] = d[i];
          fc[i] = fd[i];
          d[i] = x;
          fd[i] = fx;
        }
        maxWidth = Math.max(maxWidth, b[i] - a[i]);
      }
      iterations += 1;
    }
    for (let i = 0; i < n; i++) {
      const x = fc[i] < fd[i] ? c[i] : d[i];
      const f = spectrum.functionals(Math.exp(x));
      const [bias, variance] = lossTerms(f, Ns[i], Ts[i], noiseVars[i]);
      const delta = Math.exp(x);
      const ridge = featureScale * delta * (Ns[i] - f.d1) * (Ts[i] - f.d1);
      const useRidgeless = rLoss[i] <= bias + variance;
      out.ridge.push(useRidgeless ? 0.0 : ridge);
      out.loss.push(useRidgeless ? rLoss[i] : bias + variance);
      out.bias.push(useRidgeless ? rParts[i][0] : bias);
      out.variance.push(useRidgeless ? rParts[i][1] : variance);
      out.delta.push(useRidgeless ? deltaP[i] : delta);
      out.d1.push(useRidgeless ? fP[i].d1 : f.d1);
      out.converged.push(useRidgeless || !atTop[i]);
      out.iterations.push(iterations);
    }
    return out;
  }

  /** scalinglab.optimal_ridge for arrays N, T (noise: one value or an array). */
  function optimalRidge(model, Ns, Ts, noise) {
    const M = Math.floor(model.M);
    const s = noise === undefined ? model.noise : noise;
    const vars = Ns.map((_, i) => {
      const v = Array.isArray(s) ? s[i] : s;
      return v * v;
    });
    return optimalRidgeMany(spectrumOf(model), Ns, Ts, vars, (model.sigma_u * model.sigma_u) / M);
  }

  /** T with N T = budget, by bisection in log T (optimal._samples_for_budget, cost N T). */
  function samplesForBudget(N, budget) {
    let lo = 0.0;
    let hi = Math.log(1e300);
    for (let k = 0; k < 200; k++) {
      const mid = 0.5 * (lo + hi);
      if (N * Math.exp(mid) >= budget) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return Math.exp(0.5 * (lo + hi));
  }

  /**
   * The compute-optimal allocation N*(C), T*(C) for the cost N T (optimal.compute_optimal):
   * a 49-point grid in log N per budget, then golden section to 1e-7 in log N. `ridge` is a
   * fixed ridge, or null for the optimal ridge at every point.
   */
  function computeOptimal(spectrum, budgets, noise, ridge, featureScale, nGrid = 49, cache) {
    const noiseVar = noise * noise;
    const lossAtPoints = (logNs, Cs) => {
      const Ns = logNs.map(Math.exp);
      const Ts = Ns.map((N, i) => samplesForBudget(N, Cs[i]));
      if (ridge === null) {
        const opt = optimalRidgeMany(spectrum, Ns, Ts, Ns.map(() => noiseVar), featureScale,
          cache);
        return { loss: opt.loss, T: Ts, ridge: opt.ridge };
      }
      const losses = Ns.map((N, i) =>
        evaluate(spectrum, N, Ts[i], ridge, Math.sqrt(noiseVar), featureScale, cache).loss);
      return { loss: losses, T: Ts, ridge: Ns.map(() => ridge) };
    };
    const nb = budgets.length;
    const grid = [];
    const Cgrid = [];
    const tops = budgets.map((C) => Math.log(Math.max(samplesForBudget(1.0, C), 1.0)));
    for (let j = 0; j < nb; j++) {
      for (let k = 0; k < nGrid; k++) {
        grid.push((k / (nGrid - 1)) * tops[j]);
        Cgrid.push(budgets[j]);
      }
    }
    const L = lossAtPoints(grid, Cgrid).loss;
    const a = [];
    const b = [];
    for (let j = 0; j < nb; j++) {
      let best = 0;
      for (let k = 1; k < nGrid; k++) {
        if (L[j * nGrid + k] < L[j * nGrid + best]) best = k;
      }
      a.push(grid[j * nGrid + Math.max(best - 1, 0)]);
      b.push(grid[j * nGrid + Math.min(best + 1, nGrid - 1)]);
    }
    let c = a.map((aj, j) => b[j] - GOLDEN * (b[j] - aj));
    let d = a.map((aj, j) => aj + GOLDEN * (b[j] - aj));
    let fc = lossAtPoints(c, budgets).loss;
    let fd = lossAtPoints(d, budgets).loss;
    const width = () => Math.max(...a.map((aj, j) => b[j] - aj));
    while (width() > 1e-7) {
      const left = fc.map((v, j) => v < fd[j]);
      for (let j = 0; j < nb; j++) {
        if (left[j]) b[j] = d[j];
        else a[j] = c[j];
      }
      const fresh = a.map((aj, j) => (left[j] ? b[j] - GOLDEN * (b[j] - aj) :
        aj + GOLDEN * (b[j] - aj)));
      const fnew = lossAtPoints(fresh, budgets).loss;
      const c2 = [];
      const d2 = [];
      const fc2 = [];
      const fd2 = [];
      for (let j = 0; j < nb; j++) {
        c2.push(left[j] ? fresh[j] : d[j]);
        d2.push(left[j] ? c[j] : fresh[j]);
        fc2.push(left[j] ? fnew[j] : fd[j]);
        fd2.push(left[j] ? fc[j] : fnew[j]);
      }
      c = c2;
      d = d2;
      fc = fc2;
      fd = fd2;
    }
    const x = c.map((cj, j) => (fc[j] < fd[j] ? cj : d[j]));
    const final = lossAtPoints(x, budgets);
    return { budget: budgets.slice(), N: x.map(Math.exp), T: final.T, ridge: final.ridge,
      loss: final.loss };
  }

  return {
    HEAD, EM_TERMS, TINY_RIDGE, BREAKDOWN_FRACTION, REASONS, REGIMES,
    gamma, beta, betainc, powerSum,
    PowerLawSpectrum, spectrumOf,
    bracketedNewton, ridgelessDelta, fixedPoint, gaps, lossTerms, ridgelessTerms, classifyRegime,
    evaluate, predict, optimalRidgeMany, optimalRidge, samplesForBudget, computeOptimal,
  };
});
