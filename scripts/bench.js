// `npm run bench`: builds if needed, runs the benchmarks, prints results and writes docs/benchmarks.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';

if (!existsSync('build/server.js') || !existsSync('build/handler.js')) {
	const r = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
	if (r.status !== 0) process.exit(1);
}
const { benchDesktopLoad } = await import('../tests/bench/desktop-load.ts');

const load = await benchDesktopLoad();
const rows = [
	[
		'Desktop shell JavaScript (gzip)',
		`${load.jsGzipKB.toFixed(1)} KB in ${load.jsFiles} files`,
		'≤ 300 KB',
		load.jsGzipKB <= 300
	],
	[
		'Time to an interactive desktop (median)',
		`${load.interactiveMs} ms (baseline ${load.baselineMs} ms, ×${(load.interactiveMs / Math.max(1, load.baselineMs)).toFixed(1)})`,
		'< 1000 ms',
		load.interactiveMs < 1000
	]
];
for (const [what, value, target, ok] of rows)
	console.log(`${ok ? 'PASS' : 'MISS'}  ${what}: ${value}  (target ${target})`);

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const date = new Date().toISOString().slice(0, 10);
const table = rows.map(([w, v, t, ok]) => `| ${w} | ${v} | ${t} | ${ok ? 'met' : '**missed**'} |`).join('\n');
const section = `## Desktop first load

Built server on localhost with the embedded database, headless Chromium (Debian), 1440×900, a signed-in
administrator, a fresh browser context per run (cold cache), ${load.runs} runs after one warm-up, median.
"Interactive" is from navigation start until a click on the launcher button has opened the launcher.
Baseline: the same browser loading \`/healthz\` from the same server in the same run.

| Measure | Result | Target | |
| --- | --- | --- | --- |
${table}

Measured ${date} on ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}.
`;
const header =
	'# Benchmarks\n\nProduced by `npm run bench`; each benchmark measures its own baseline in the same run.\n\n';
let doc = existsSync('docs/benchmarks.md') ? readFileSync('docs/benchmarks.md', 'utf8') : header;
if (!doc.startsWith('# Benchmarks')) doc = header + doc;
const re = /## Desktop first load[\s\S]*?(?=\n## |$)/;
doc = re.test(doc) ? doc.replace(re, section) : doc.trimEnd() + '\n\n' + section;
writeFileSync('docs/benchmarks.md', doc);
console.log('results written to docs/benchmarks.md');
