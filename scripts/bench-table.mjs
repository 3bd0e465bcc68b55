// Turns bench-results/<package>.json into markdown tables, one per bench group.
// Rows named "bulwark ..." are ours, "floor ..." is the physical floor, anything else a peer;
// the ratio column is ops/s divided by the fastest peer's ops/s in the same group.
// Usage: node scripts/bench-table.mjs <package> [--write]
//   --write replaces the text between <!-- bench:start --> and <!-- bench:end --> in its README.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [name, flag] = process.argv.slice(2);
if (!name) {
  console.error('usage: node scripts/bench-table.mjs <package> [--write]');
  process.exit(2);
}
const results = JSON.parse(readFileSync(join('bench-results', `${name}.json`), 'utf8'));

const kindOf = (bench) =>
  bench.startsWith('bulwark') ? 'ours' : bench.startsWith('floor') ? 'floor' : 'peer';
const formatHz = (hz) =>
  hz >= 1e6
    ? `${(hz / 1e6).toFixed(2)} M`
    : hz >= 1e3
      ? `${(hz / 1e3).toFixed(1)} k`
      : hz.toFixed(0);

const sections = [];
for (const file of results.files) {
  for (const group of file.groups) {
    const rows = [...group.benchmarks].sort((a, b) => b.hz - a.hz);
    const peers = rows.filter((r) => kindOf(r.name) === 'peer');
    const reference = peers.length > 0 ? peers[0] : rows[rows.length - 1];
    const label = group.fullName.split(' > ').slice(1).join(' > ') || group.fullName;
    const lines = [
      `**${label}** (ratio: ops/s ÷ ${peers.length > 0 ? `fastest peer, ${reference.name}` : `slowest, ${reference.name}`})`,
      '',
      '| implementation | ops/s | ± | ratio |',
      '| --- | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${kindOf(r.name) === 'ours' ? `**${r.name}**` : r.name} | ${formatHz(r.hz)} | ${r.rme.toFixed(1)}% | ${(r.hz / reference.hz).toFixed(2)}× |`,
      ),
    ];
    sections.push(lines.join('\n'));
  }
}
const table = sections.join('\n\n');

if (flag === '--write') {
  const readme = join('packages', name, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) {
    console.error(`${readme} has no ${start} ... ${end} markers`);
    process.exit(1);
  }
  writeFileSync(readme, `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`);
  console.log(`wrote ${sections.length} tables into ${readme}`);
} else {
  console.log(table);
}
