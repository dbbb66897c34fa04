// Evaluate calls of the page's theory (src/scalinglab/explore/theory.js or dynamics.js) for the
// golden tests. stdin: {"module": path, "calls": [{"fn": name, "args": [...]}]}; stdout: the
// results in order (typed arrays as arrays; a thrown error as {"error": message}). Non-finite
// numbers travel as the strings 'inf', '-inf', 'nan' (JSON has no Infinity).
'use strict';
const fs = require('fs');

const decode = (v) => {
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  if (v === 'nan') return NaN;
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  }
  return v;
};

const input = decode(JSON.parse(fs.readFileSync(0, 'utf8')));
const theory = require(input.module);
const results = input.calls.map((call) => {
  const args = call.fn === 'evaluate' || call.fn === 'optimalRidgeMany' ||
    call.fn === 'computeOptimal' ? [theory.spectrumOf(call.args[0]), ...call.args.slice(1)] :
    call.args;
  try {
    return theory[call.fn](...args);
  } catch (err) {
    return { error: err.message };
  }
});
const replacer = (key, v) => {
  if (ArrayBuffer.isView(v)) return Array.from(v);
  if (typeof v === 'number' && !Number.isFinite(v)) {
    return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  }
  return v;
};
process.stdout.write(JSON.stringify(results, replacer));
