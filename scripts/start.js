// `npm start`: build once if there is no build yet, then run the production server.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const entry = path.join(root, 'build', 'server.js');
if (!existsSync(entry) || !existsSync(path.join(root, 'build', 'handler.js'))) {
	console.log('No build found: building Fleetdesk first (this takes a minute)…');
	const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
	if (r.status !== 0) process.exit(r.status ?? 1);
}
await import(entry);
