/** A bar chart drawn as SVG elements (no inline style, no library), with a text summary for screen readers. */
const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export function barChart(bars: { label: string; value: number; title: string }[], summary: string): SVGSVGElement {
  const width = 520;
  const height = 200;
  const pad = { top: 20, bottom: 28, side: 8 };
  const max = Math.max(1, ...bars.map((b) => b.value));
  const slot = (width - pad.side * 2) / Math.max(1, bars.length);
  const barWidth = Math.min(48, slot * 0.6);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': summary });
  root.append(svg('title', {}, summary));
  const base = height - pad.bottom;
  root.append(svg('line', { x1: pad.side, x2: width - pad.side, y1: base, y2: base, stroke: 'currentColor', 'stroke-opacity': 0.3 }));
  bars.forEach((b, i) => {
    const h = ((base - pad.top) * b.value) / max;
    const x = pad.side + slot * i + (slot - barWidth) / 2;
    const rect = svg('rect', { class: 'bar', x, y: base - h, width: barWidth, height: Math.max(h, b.value ? 2 : 0), rx: 3, 'data-value': b.value });
    rect.append(svg('title', {}, b.title));
    root.append(rect);
    root.append(svg('text', { class: 'value', x: x + barWidth / 2, y: base - h - 5, 'text-anchor': 'middle' }, String(b.value)));
    root.append(svg('text', { class: 'axis', x: x + barWidth / 2, y: height - 8, 'text-anchor': 'middle' }, b.label));
  });
  return root;
}
