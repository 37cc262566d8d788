import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The version in package.json, found from src/ or from build/. */
export function fleetdeskVersion(): string {
	if (cached) return cached;
	let dir = path.dirname(fileURLToPath(import.meta.url));
	for (let i = 0; i < 6; i++) {
		const p = path.join(dir, 'package.json');
		if (fs.existsSync(p)) {
			const pkg = JSON.parse(fs.readFileSync(p, 'utf8')) as { name?: string; version?: string };
			if (pkg.name === 'fleetdesk') return (cached = pkg.version ?? '0.0.0');
		}
		dir = path.dirname(dir);
	}
	return (cached = process.env.npm_package_version ?? '0.0.0');
}
