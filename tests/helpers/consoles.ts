// Console test helpers: a viewer (a real /desktop socket with a session cookie) that joins a console and
// collects its output in order, and the setup that the console specs share (an enrolled agent that allows
// shell consoles, users with console grants).
import type { Socket } from 'socket.io-client';
import { connectDesktop } from './socket';
import { caller, signIn } from './server';
import { enrollWithNewToken, startAgent, until, type RunningAgent } from './agents';
import type { ConsoleAck, ConsoleJoinAck, ConsoleRoomState } from '../../src/lib/protocol/consoles';

export const SHELL_AGENT_CONFIG = {
	reconnect: { baseMs: 200, capMs: 1500 },
	heartbeatSeconds: 5,
	consoles: { allow: ['shell', 'ssh', 'telnet'] }
};

/** A plain, predictable shell: no rc files, a fixed prompt. */
export const SHELL_TARGET = {
	kind: 'shell',
	command: '/bin/sh',
	args: ['-i']
} as const;

export class Viewer {
	text = '';
	seq = 0;
	joined: Extract<ConsoleJoinAck, { ok: true }> | null = null;
	rooms: ConsoleRoomState[] = [];
	notices: { level: string; message: string }[] = [];
	behind = 0;
	requests: { userId: number; username: string }[] = [];
	/** The last output chunks and joins, for a failure's message: "seq+bytes" (skipped ones marked). */
	private trace: string[] = [];
	private pending: { seq: number; data: Buffer }[] | null = null;

	constructor(
		readonly socket: Socket,
		readonly consoleId: number
	) {
		socket.on('console:output', (m: { consoleId: number; seq: number; data: ArrayBuffer | Buffer }) => {
			if (m.consoleId !== this.consoleId) return;
			const chunk = { seq: m.seq, data: Buffer.from(m.data as ArrayBuffer) };
			if (this.pending) this.pending.push(chunk);
			else this.apply(chunk);
		});
		socket.on('console:room', (r: ConsoleRoomState) => r.consoleId === consoleId && this.rooms.push(r));
		socket.on('console:notice', (n: { consoleId: number; level: string; message: string }) => {
			if (n.consoleId === consoleId) this.notices.push(n);
		});
		socket.on('console:behind', (b: { consoleId: number }) => b.consoleId === consoleId && this.behind++);
		socket.on('console:control-request', (r: { consoleId: number; userId: number; username: string }) => {
			if (r.consoleId === consoleId) this.requests.push(r);
		});
	}

	private note(t: string) {
		this.trace.push(t);
		if (this.trace.length > 40) this.trace.shift();
	}

	private apply(c: { seq: number; data: Buffer }) {
		this.note(`${c.seq}+${c.data.length}${c.seq <= this.seq ? ' skipped' : ''}`);
		if (c.seq <= this.seq) return;
		this.seq = c.seq;
		this.text += c.data.toString('utf8');
	}

	get room(): ConsoleRoomState | null {
		return this.rooms.at(-1) ?? this.joined?.room ?? null;
	}

	async join(): Promise<ConsoleJoinAck> {
		this.pending = [];
		const ack = (await this.socket
			.timeout(15_000)
			.emitWithAck('console:join', { consoleId: this.consoleId })) as ConsoleJoinAck;
		const queued = this.pending;
		this.pending = null;
		if (ack.ok) {
			this.joined = ack;
			this.text = Buffer.from(ack.scrollback as unknown as ArrayBuffer).toString('utf8');
			this.seq = ack.seq;
			this.note(`join at ${ack.seq} (${ack.scrollback.byteLength} bytes of scrollback)`);
			for (const c of queued) this.apply(c);
		}
		return ack;
	}

	type(data: string): Promise<ConsoleAck> {
		return this.socket
			.timeout(10_000)
			.emitWithAck('console:input', { consoleId: this.consoleId, data }) as Promise<ConsoleAck>;
	}

	control(action: 'request' | 'release' | 'handover' | 'take', userId?: number): Promise<ConsoleAck> {
		return this.socket
			.timeout(10_000)
			.emitWithAck('console:control', { consoleId: this.consoleId, action, userId }) as Promise<ConsoleAck>;
	}

	sendBreak(): Promise<ConsoleAck> {
		return this.socket
			.timeout(10_000)
			.emitWithAck('console:break', { consoleId: this.consoleId }) as Promise<ConsoleAck>;
	}

	/** Waits until the output so far matches. */
	waitFor(re: RegExp, timeoutMs = 15_000): Promise<string> {
		return until(async () => (re.test(this.text) ? this.text : null), timeoutMs).catch(() => {
			throw new Error(
				`output never matched ${re}; it was:\n${this.text.slice(-2000)}\nlast chunks: ${this.trace.join(', ')}`
			);
		});
	}

	// 30 s: a pipe opens through a signed task, the agent and a PTY; under load a first open took over 15 s.
	waitForRoom(pred: (r: ConsoleRoomState) => boolean, timeoutMs = 30_000): Promise<ConsoleRoomState> {
		return until(async () => {
			const r = this.room;
			return r && pred(r) ? r : null;
		}, timeoutMs).catch(() => {
			throw new Error(`the room never got there; last: ${JSON.stringify(this.room)}`);
		});
	}

	close(): void {
		this.socket.close();
	}
}

export async function viewer(url: string, cookie: string, consoleId: number): Promise<Viewer> {
	return new Viewer(await connectDesktop(url, cookie), consoleId);
}

type Server = { url: string; agentPort: number };

/** Enrols a real agent into the group and runs it with a config that allows shell and ssh consoles. */
export async function shellAgent(
	server: Server,
	cookie: string,
	groupId: number,
	config: object = SHELL_AGENT_CONFIG
): Promise<{ agent: RunningAgent; agentId: string; deviceId: number; dir: string }> {
	const { dir, agentId } = await enrollWithNewToken(server, cookie, groupId);
	const call = caller(server, cookie);
	const agent = startAgent(dir, config);
	const row = await until(async () =>
		(await call<{ id: string; deviceId: number; online: boolean }[]>('agents.list')).find(
			(a) => a.id === agentId && a.online
		)
	);
	return { agent, agentId, deviceId: row.deviceId, dir };
}

/** A user whose role holds `actions` on the group (and desktop.use). */
export async function userWith(
	server: { url: string },
	admin: string,
	name: string,
	groupId: number,
	actions: string[]
): Promise<{ cookie: string; userId: number; roleId: number }> {
	const call = caller(server, admin);
	const role = await call<{ id: number }>(
		'roles.create',
		{ name: `${name} role`, permissions: ['desktop.use'] },
		'mutation'
	);
	if (actions.length) await call('grants.set', { roleId: role.id, groupId, actions }, 'mutation');
	const password = `${name}-password-long-enough`;
	const u = await call<{ id: number }>(
		'users.create',
		{ username: name, password, roleIds: [role.id] },
		'mutation'
	);
	return { cookie: await signIn(server.url, name, password), userId: u.id, roleId: role.id };
}

export interface LogRecord {
	seq: number;
	kind: 'output' | 'input' | 'event';
	username: string | null;
	pipeId: string | null;
	agentSeq: number | null;
	data: Buffer;
}

/** A console's access-log records, read straight from the database (PGlite: only once its server stopped). */
export async function readAccessLog(
	db: { databaseUrl?: string; dataDir: string },
	consoleId: number
): Promise<LogRecord[]> {
	const { openDatabase, queryRows } = await import('../../src/server/db/client');
	const { sql } = await import('drizzle-orm');
	const database = await openDatabase(db);
	try {
		const rows = await queryRows<{
			seq: string;
			kind: LogRecord['kind'];
			username: string | null;
			pipe_id: string | null;
			agent_seq: string | null;
			data: Uint8Array;
		}>(
			database.db,
			sql`select seq, kind, username, pipe_id, agent_seq, data from access_log_records
				where console_id = ${consoleId} order by seq`
		);
		return rows.map((r) => ({
			seq: Number(r.seq),
			kind: r.kind,
			username: r.username,
			pipeId: r.pipe_id,
			agentSeq: r.agent_seq === null ? null : Number(r.agent_seq),
			data: Buffer.from(r.data)
		}));
	} finally {
		await database.close();
	}
}

/** The tests' FLEETDESK_SECRET (tests/helpers/server.ts), from which the access log's MAC key is derived. */
const TEST_SECRET = 'fleetdesk-integration-tests-master-key-0001';

/** Runs the access log's own chain verification on a console (PGlite: only once its server stopped). */
export async function verifyLog(db: { databaseUrl?: string; dataDir: string }, consoleId: number) {
	const { openDatabase } = await import('../../src/server/db/client');
	const { setAccessLogMasterKey } = await import('../../src/server/accesslog');
	const { verifyAccessLog } = await import('../../src/server/accesslog/verify');
	const database = await openDatabase(db);
	setAccessLogMasterKey(Buffer.from(TEST_SECRET, 'utf8'));
	try {
		return await verifyAccessLog(database.db, { consoleId });
	} finally {
		setAccessLogMasterKey(null);
		await database.close();
	}
}
