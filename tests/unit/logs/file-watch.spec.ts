// The agent's changed-file watch on real files: a path's first look is its baseline (no event), later looks
// report what changed, and a watch list set while a look is running is looked at before tick() resolves.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileWatch } from '../../../agent/src/modules/files/watch';

type Change = { path: string; changed: string[] };

describe('FileWatch', () => {
	let dir: string;
	beforeAll(() => {
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-watch-'));
	});
	afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

	it('takes the baseline on the first look and reports a change on the next', async () => {
		const f = path.join(dir, 'passwd');
		fs.writeFileSync(f, 'root:x:0:0::/root:/bin/sh\n');
		const changes: Change[] = [];
		const w = new FileWatch(
			null,
			(c) => changes.push(c),
			() => {}
		);
		w.setEntries([f]);
		await w.tick();
		expect(changes).toEqual([]);
		fs.appendFileSync(f, 'mallory:x:0:0::/root:/bin/sh\n');
		await w.tick();
		expect(changes).toHaveLength(1);
		expect(changes[0].changed).toEqual(expect.arrayContaining(['size', 'sha256']));
		expect(changes[0].changed).not.toContain('exists');
	});

	it('does not count paths set during a running look as baselined before it looked at them', async () => {
		const old = path.join(dir, 'hosts');
		const added = path.join(dir, 'group');
		fs.writeFileSync(old, '127.0.0.1 localhost\n');
		fs.writeFileSync(added, 'root:x:0:\n');
		const changes: Change[] = [];
		const w = new FileWatch(
			null,
			(c) => changes.push(c),
			() => {}
		);
		w.setEntries([old]);
		const first = w.tick(); // running: it looks at `old` only
		w.setEntries([old, added]);
		await Promise.all([first, w.tick()]); // the second call waits and looks again, with `added`
		expect(changes).toEqual([]);
		fs.appendFileSync(added, 'mallory:x:1000:\n');
		await w.tick();
		expect(changes.map((c) => [c.path, c.changed.includes('exists')])).toEqual([[added, false]]);
	});
});
