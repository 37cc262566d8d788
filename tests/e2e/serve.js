// Starts the built server for the end-to-end run on a fresh embedded database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetdesk-e2e-'));
process.env.FLEETDESK_DATA_DIR = dir;
process.env.PORT = process.env.E2E_PORT ?? '3199';
process.env.HOST = '127.0.0.1';
process.env.FLEETDESK_ADMIN_PASSWORD = 'e2e-admin-password';
process.env.DATABASE_URL = '';
// No agent gateway unless a test asks for one: parallel runs must not fight over port 8443.
process.env.FLEETDESK_AGENT_PORT ??= process.env.E2E_AGENT_PORT ?? 'off';
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
// A URL, not a literal path: the build does not exist yet when the type check runs.
await import(new URL('../../build/server.js', import.meta.url).href);
