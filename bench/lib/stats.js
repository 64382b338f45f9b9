'use strict';
/** Figures over repeated runs: min / median / max, and how cells print them. */

const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length / 2;
  // An even count has two middle values: their mean (with 2 runs, the mean of both).
  return { min: s[0], med: s.length % 2 ? s[Math.floor(mid)] : (s[mid - 1] + s[mid]) / 2, max: s[s.length - 1] };
};
const numeric = (xs) => xs.length > 0 && xs.every((x) => typeof x === 'number' && Number.isFinite(x));
/** `median (min – max)`, or the value alone for one run; `n/a` when any run lacks it. */
const fmt = (xs, digits = 0) => {
  if (!numeric(xs)) return 'n/a';
  const { min, med, max } = stat(xs);
  return xs.length === 1 ? med.toFixed(digits) : `${med.toFixed(digits)} (${min.toFixed(digits)} – ${max.toFixed(digits)})`;
};
const median = (xs) => (numeric(xs) ? stat(xs).med : undefined);
const ratioOf = (a, b) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
const ratio = (a, b) => (ratioOf(a, b) === undefined ? 'n/a' : `${ratioOf(a, b).toFixed(2)}×`);
const today = () => new Date().toISOString().slice(0, 10);
const sizeName = (n) => (n >= 1024 * 1024 ? `${n / 1024 / 1024} MiB` : `${n / 1024} KiB`);

module.exports = { stat, fmt, median, ratio, ratioOf, today, sizeName };
