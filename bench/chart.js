// The listing chart (bench/listing.svg): time to list the table against its size, log-log, for us, iproute2
// and the raw-C floor, from the listing rows of bench/results.json. Plain SVG, no dependencies.
//   node bench/chart.js            rewrites bench/listing.svg from bench/results.json
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERIES = [
  { key: 'raw', label: 'raw C rtnetlink dump (floor)', color: '#888888', dash: '4 3' },
  { key: 'ours', label: 'ours: listRoutes() in process', color: '#1f77b4' },
  { key: 'stream', label: 'ours: routes() stream in process', color: '#17becf' },
  { key: 'cli', label: 'ours: redirect-gateway routes --json', color: '#2ca02c' },
  { key: 'ipJson', label: 'iproute2: ip -j route show', color: '#d62728' },
];

export function listingSvg(rows, note = '') {
  const W = 720;
  const H = 440;
  const m = { left: 70, right: 250, top: 40, bottom: 60 };
  const sizes = rows.map((r) => r.size);
  const values = rows.flatMap((r) => SERIES.map((s) => r[s.key]?.ms).filter((v) => v > 0));
  const log = Math.log10;
  const x0 = log(Math.min(...sizes)) - 0.15;
  const x1 = log(Math.max(...sizes)) + 0.15;
  const y0 = Math.floor(log(Math.min(...values)));
  const y1 = Math.ceil(log(Math.max(...values)));
  const px = (size) => m.left + ((log(size) - x0) / (x1 - x0)) * (W - m.left - m.right);
  const py = (ms) => H - m.bottom - ((log(ms) - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(
    `<text x="${m.left}" y="22" font-size="15" font-weight="bold">Listing the IPv4 routing table: time against table size</text>`,
  );
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e);
    const label = 10 ** e >= 1000 ? `${10 ** (e - 3)} s` : `${10 ** e} ms`;
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y}" y2="${y}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${m.left - 8}" y="${y + 4}" text-anchor="end">${label}</text>`);
  }
  for (const size of sizes) {
    const x = px(size);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${H - m.bottom}" stroke="#f0f0f0"/>`);
    const label = size >= 1e6 ? `${size / 1e6}M` : `${size / 1e3}k`;
    out.push(`<text x="${x}" y="${H - m.bottom + 18}" text-anchor="middle">${label}</text>`);
  }
  out.push(
    `<text x="${(m.left + W - m.right) / 2}" y="${H - 18}" text-anchor="middle">routes in the table (log scale)</text>`,
  );
  out.push(
    `<text transform="translate(16 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">time, whole listing (log scale)</text>`,
  );
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" fill="none" stroke="#444"/>`,
  );
  SERIES.forEach((s, i) => {
    const points = rows.filter((r) => r[s.key]?.ms > 0).map((r) => [px(r.size), py(r[s.key].ms)]);
    if (points.length) {
      const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
      out.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${points.map((p) => p.join(',')).join(' ')}"/>`,
      );
      for (const [x, y] of points) out.push(`<circle cx="${x}" cy="${y}" r="3.5" fill="${s.color}"/>`);
    }
    const ly = m.top + 10 + i * 22;
    const lx = W - m.right + 16;
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
    );
    out.push(`<text x="${lx + 30}" y="${ly + 4}">${s.label}</text>`);
  });
  if (note)
    out.push(
      `<text x="${W - m.right + 16}" y="${m.top + 10 + SERIES.length * 22 + 10}" font-size="10" fill="#555">${note}</text>`,
    );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  writeFileSync(join(dir, 'listing.svg'), listingSvg(results.listing.rows, results.machine?.date ?? ''));
}
