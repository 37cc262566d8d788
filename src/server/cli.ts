import os from 'node:os';
import { loadConfig } from './env';
import { boot } from './boot';
import { lockHolder } from './datadir-lock';
import { runCommand, type CliResult } from './cli/commands';
import { sendToServer } from './cli/admin-socket';
import { setLiveHooks } from './access/live';
import { publishAccessChanged, publishSessionsEnded } from './realtime/session-bus';
import { absoluteImportPath } from './cli/cmdb';

async function readStdin(): Promise<string> {
	if (process.stdin.isTTY) return '';
	const chunks: Buffer[] = [];
	for await (const c of process.stdin) chunks.push(c as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

/** The server may hold the data dir a moment before its admin socket listens. */
async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
	for (let i = 0; ; i++) {
		try {
			return await fn();
		} catch (e) {
			const code = (e as NodeJS.ErrnoException).code;
			if (i >= 40 || (code !== 'ENOENT' && code !== 'ECONNREFUSED')) throw e;
			await new Promise((r) => setTimeout(r, 250));
		}
	}
}

/**
 * `fleetdesk` admin CLI. On PostgreSQL it opens the database directly (servers hear of ended sessions through
 * the Socket.IO emitter). On PGlite it goes through the running server's admin socket, and opens the data dir
 * itself only when no server holds it.
 */
async function main(): Promise<number> {
	const argv = absoluteImportPath(process.argv.slice(2));
	const config = loadConfig();
	const needsStdin = argv.includes('--password-stdin');
	const stdin = needsStdin ? await readStdin() : '';
	const osUser = os.userInfo().username;
	let result: CliResult;

	if (!config.databaseUrl && lockHolder(config.dataDir)) {
		// A big CSV import, or a task waited for, runs inside the server and may take minutes; everything
		// else answers in seconds.
		const timeoutMs = argv[0] === 'cmdb' || argv[0] === 'task' ? 65 * 60_000 : 30_000;
		result = await withRetry(() => sendToServer(config.dataDir, { argv, stdin, osUser }, timeoutMs));
	} else {
		const started = await boot(config, { install: false });
		const pending: Promise<void>[] = [];
		try {
			const pool = started.runtime.database.pool;
			if (pool) {
				setLiveHooks({
					sessionsEnded: (userId, sessionIds, reason) =>
						void pending.push(
							publishSessionsEnded(pool, { userId, sessionIds, reason }).catch((e) =>
								console.error(`Could not tell the servers to disconnect the sessions: ${e.message}`)
							)
						),
					accessChanged: () =>
						void pending.push(
							publishAccessChanged(pool, 'cli').catch((e) =>
								console.error(`Could not tell the servers that access changed: ${e.message}`)
							)
						)
				});
			}
			result = await runCommand(started.runtime.db, { id: null, name: `cli:${osUser}` }, argv, stdin);
			await Promise.all(pending);
		} finally {
			await started.close();
		}
	}
	process.stdout.write(result.stdout);
	process.stderr.write(result.stderr);
	return result.code;
}

main().then(
	(code) => process.exit(code),
	(e: Error) => {
		console.error(e.message);
		process.exit(1);
	}
);
