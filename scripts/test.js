// `npm test`: everything CI runs, in order, stopping at the first failing stage.
// Prints one closing line "tests: N passed, N failed" counted from the vitest and Playwright reports.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const stages = [
	['format (prettier)', 'npx', ['prettier', '--check', '.', '--log-level', 'warn']],
	['lint (eslint)', 'npx', ['eslint', '.']],
	['types (svelte-check)', 'npm', ['run', 'check', '--silent']],
	[
		'unit tests',
		'npx',
		[
			'vitest',
			'run',
			'--project',
			'unit',
			'--reporter=default',
			'--reporter=json',
			'--outputFile=test-results/unit.json'
		]
	],
	['build', 'npm', ['run', 'build', '--silent']],
	[
		'integration tests (PGlite and PostgreSQL)',
		'npx',
		[
			'vitest',
			'run',
			'--project',
			'integration',
			'--reporter=default',
			'--reporter=json',
			'--outputFile=test-results/integration.json'
		]
	],
	[
		'integration tests that run alone (PGlite and PostgreSQL)',
		'npx',
		[
			'vitest',
			'run',
			'--project',
			'integration-serial',
			'--reporter=default',
			'--reporter=json',
			'--outputFile=test-results/integration-serial.json'
		]
	],
	['end-to-end tests (Chromium)', 'npx', ['playwright', 'test']]
];

const only = process.argv.slice(2);
fs.mkdirSync('test-results', { recursive: true });
for (const f of ['unit.json', 'integration.json', 'integration-serial.json', 'e2e.json'])
	fs.rmSync(`test-results/${f}`, { force: true });

let failedStage = null;
for (const [name, cmd, args] of stages) {
	if (only.length && !only.some((o) => name.startsWith(o))) continue;
	console.log(`\n=== ${name} ===`);
	const started = Date.now();
	const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
	console.log(
		`--- ${name}: ${r.status === 0 ? 'ok' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)`
	);
	if (r.status !== 0) {
		failedStage = name;
		break;
	}
}

let passed = 0;
let failed = 0;
for (const f of ['unit.json', 'integration.json', 'integration-serial.json']) {
	if (!fs.existsSync(`test-results/${f}`)) continue;
	const j = JSON.parse(fs.readFileSync(`test-results/${f}`, 'utf8'));
	passed += j.numPassedTests;
	failed += j.numFailedTests;
}
if (fs.existsSync('test-results/e2e.json')) {
	const j = JSON.parse(fs.readFileSync('test-results/e2e.json', 'utf8'));
	passed += j.stats.expected;
	failed += j.stats.unexpected + j.stats.flaky;
}
if (failedStage) {
	console.log(`\nnpm test: stage "${failedStage}" failed.`);
	failed = Math.max(failed, 1);
}
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failedStage ? 1 : 0);
