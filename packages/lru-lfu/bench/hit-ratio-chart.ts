// A grouped bar chart of hit ratios as a standalone SVG: one group per trace, one bar per
// policy, a tick for the best static cache where it is known. No dependencies.

/** One group of bars. */
export interface ChartGroup {
  label: string;
  /** Hit ratios in 0..1, one per series. */
  values: number[];
  /** The best static cache's hit ratio, drawn as a tick over the group. */
  best?: number | undefined;
}

const COLOURS = ['#9aa5b1', '#c59d5f', '#7fb3d5', '#1f5f99', '#5a8f3d'];
const BAR = 14;
const GAP = 30;
const PLOT_HEIGHT = 240;
const LEFT = 44;
const TOP = 40;

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** The chart's SVG text. */
export function hitRatioChart(series: string[], groups: ChartGroup[]): string {
  const groupWidth = series.length * BAR + GAP;
  const width = LEFT + groups.length * groupWidth + 10;
  const height = TOP + PLOT_HEIGHT + 60;
  const y = (v: number) => TOP + PLOT_HEIGHT * (1 - v);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11" role="img" aria-label="Hit ratio of each policy on each trace">`,
    '<title>Hit ratio of each policy on each trace</title>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
  ];
  for (let p = 0; p <= 100; p += 20) {
    out.push(
      `<line x1="${LEFT}" x2="${width - 10}" y1="${y(p / 100)}" y2="${y(p / 100)}" stroke="#e4e7eb"/>`,
      `<text x="${LEFT - 6}" y="${y(p / 100) + 4}" text-anchor="end" fill="#52606d">${p}%</text>`,
    );
  }
  groups.forEach((g, gi) => {
    const x0 = LEFT + GAP / 2 + gi * groupWidth;
    g.values.forEach((v, si) => {
      const x = x0 + si * BAR;
      out.push(
        `<rect x="${x}" y="${y(v).toFixed(1)}" width="${BAR - 2}" height="${(PLOT_HEIGHT * v).toFixed(1)}" fill="${COLOURS[si % COLOURS.length]}"><title>${escapeXml(series[si]!)}: ${(v * 100).toFixed(1)}%</title></rect>`,
      );
    });
    if (g.best !== undefined) {
      const x1 = x0 - 2;
      const x2 = x0 + series.length * BAR;
      out.push(
        `<line x1="${x1}" x2="${x2}" y1="${y(g.best).toFixed(1)}" y2="${y(g.best).toFixed(1)}" stroke="#cb2431" stroke-width="2" stroke-dasharray="4 2"/>`,
      );
    }
    // Labels longer than a group is wide go on two lines, split at the middle space.
    const cx = x0 + (series.length * BAR) / 2;
    const words = g.label.split(' ');
    const half = Math.ceil(words.length / 2);
    const lines = g.label.length > 12 ? [words.slice(0, half), words.slice(half)] : [words];
    lines.forEach((line, li) => {
      out.push(
        `<text x="${cx}" y="${TOP + PLOT_HEIGHT + 16 + li * 13}" text-anchor="middle" fill="#323f4b">${escapeXml(line.join(' '))}</text>`,
      );
    });
  });
  const legend = [
    ...series.map((s, i) => [s, COLOURS[i % COLOURS.length]!]),
    ['best static', '#cb2431'],
  ];
  let lx = LEFT;
  for (const [name, colour] of legend) {
    out.push(
      `<rect x="${lx}" y="12" width="10" height="10" fill="${colour}"/>`,
      `<text x="${lx + 14}" y="21" fill="#323f4b">${escapeXml(name!)}</text>`,
    );
    lx += 24 + name!.length * 6;
  }
  out.push(
    `<text x="${LEFT}" y="${height - 12}" fill="#52606d">hit ratio, capacity 1,000, 1M accesses per trace (bench/hit-ratio.ts)</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
