'use strict';
/**
 * A tiny SVG line chart: axes with ticks and labels, one polyline with point markers per
 * series, a legend. Log scale on x (and optionally y) for curves over sizes that grow
 * geometrically. No dependencies; the output is a standalone .svg file.
 */

const W = 640;
const H = 400;
const M = { left: 70, right: 20, top: 40, bottom: 60 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const short = (v) => (Math.abs(v) >= 1e6 ? `${+(v / 1e6).toPrecision(3)}M` : Math.abs(v) >= 1e3 ? `${+(v / 1e3).toPrecision(3)}k` : `${+v.toPrecision(3)}`);

/** Tick values: powers of ten (log) or ~5 round steps (linear). */
function ticks(lo, hi, log) {
  if (log) {
    const out = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
    return out.filter((t) => t >= lo / 1.0001 && t <= hi * 1.0001);
  }
  const step = 10 ** Math.floor(Math.log10((hi - lo) / 5 || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= 6) ?? step * 10;
  const out = [];
  for (let t = Math.ceil(lo / nice) * nice; t <= hi + 1e-9; t += nice) out.push(+t.toPrecision(12));
  return out;
}

/**
 * @param {{ title: string, xLabel: string, yLabel: string, logX?: boolean, logY?: boolean,
 *           xTickLabel?: (x: number) => string,
 *           series: Array<{ name: string, points: Array<[number, number]> }> }} chart
 * @returns {string} the SVG document
 */
function lineChart(chart) {
  const pts = chart.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (pts.length === 0)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="80"><text x="10" y="40" font-family="sans-serif" font-size="14">${esc(chart.title)}: no data</text></svg>\n`;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [chart.logY ? Math.min(...ys) : 0, Math.max(...ys)];
  if (x0 === x1) [x0, x1] = [x0 / 2 || 0, x1 * 2 || 1];
  if (chart.logY) [y0, y1] = [10 ** Math.floor(Math.log10(y0)), 10 ** Math.ceil(Math.log10(y1))];
  else y1 = y1 * 1.1 || 1;
  const f = (v, log) => (log ? Math.log10(v) : v);
  const px = (x) => M.left + ((f(x, chart.logX) - f(x0, chart.logX)) / (f(x1, chart.logX) - f(x0, chart.logX))) * (W - M.left - M.right);
  const py = (y) => H - M.bottom - ((f(y, chart.logY) - f(y0, chart.logY)) / (f(y1, chart.logY) - f(y0, chart.logY) || 1)) * (H - M.top - M.bottom);
  const xTicks = chart.logX ? [...new Set(xs)].sort((a, b) => a - b) : ticks(x0, x1, false);
  const yTicks = ticks(y0, y1, chart.logY);
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(chart.title)}</text>`);
  for (const t of yTicks) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${short(t)}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${H - M.bottom}" y2="${H - M.bottom + 5}" stroke="black"/>`);
    out.push(`<text x="${px(t).toFixed(1)}" y="${H - M.bottom + 18}" text-anchor="middle">${esc(chart.xTickLabel ? chart.xTickLabel(t) : short(t))}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="black"/>`);
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="black"/>`);
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 18}" text-anchor="middle">${esc(chart.xLabel)}${chart.logX ? ' (log scale)' : ''}</text>`);
  out.push(
    `<text transform="translate(18 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}${chart.logY ? ' (log scale)' : ''}</text>`,
  );
  chart.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
    out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${p.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of p) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${colour}"/>`);
    out.push(`<rect x="${M.left + 12}" y="${M.top + 6 + i * 18}" width="14" height="4" fill="${colour}"/>`);
    out.push(`<text x="${M.left + 32}" y="${M.top + 12 + i * 18}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

module.exports = { lineChart };
