// Keystrokes, resize and break from a viewer. Input from a user without console.write on the device is
// dropped, audited and told; input that passes is logged to the access log under the user's name, then sent
// to the agent. With one writer, only the writer's input and resize pass; otherwise resize follows whoever
// typed last.
import type { Socket } from 'socket.io';
import type { Db } from '../db/client';
import type { SocketData } from '../realtime/guard';
import { audit } from '../audit/audit';
import type { Principal } from '../auth/permissions';
import {
	CONSOLE_MAX_INPUT_BYTES,
	TERMINAL_MAX,
	TERMINAL_MIN,
	type ConsoleAck
} from '../../lib/protocol/consoles';
import { deviceRef, rightsOn } from './access';
import { toAgent } from './agent-io';
import { actorOf } from './join';
import { logEvent, logInput, type LogUser } from './logging';
import { roomChanged } from './rooms';
import { consoleState, type RoomInfo } from './state';

const LIVE = new Set(['open', 'connecting', 'retrying']);
/** Dropped input is audited once per user and console in this window (with the count since the last entry). */
const DROP_AUDIT_MS = 10_000;
const drops = new Map<string, { at: number; count: number }>();

function notice(socket: Socket, consoleId: number, level: 'info' | 'warning' | 'error', message: string) {
	socket.emit('console:notice', { consoleId, level, message });
}

/** The room this socket joined, or null. */
function joined(socket: Socket, consoleId: number): RoomInfo | null {
	const s = consoleState();
	return s.viewers.get(consoleId)?.has(socket.id) ? (s.rooms.get(consoleId) ?? null) : null;
}

async function dropped(
	db: Db,
	socket: Socket,
	info: RoomInfo,
	reason: string,
	bytes: number,
	audited: boolean
) {
	const d = socket.data as SocketData;
	const key = `${d.userId}:${info.id}:${reason}`;
	const last = drops.get(key);
	const now = Date.now();
	if (last && now - last.at < DROP_AUDIT_MS) {
		last.count++;
		return;
	}
	drops.set(key, { at: now, count: 0 });
	if (drops.size > 10_000) drops.clear();
	const count = (last?.count ?? 0) + 1;
	void logEvent(db, { consoleId: info.id, deviceId: info.deviceId }, d, {
		event: 'input-dropped',
		reason,
		bytes,
		count
	});
	if (audited)
		await audit(db, actorOf(d, socket.handshake.address), {
			action: 'console.input-dropped',
			targetType: 'console',
			targetId: info.id,
			targetName: info.name,
			after: { reason, bytes, count }
		});
}

export async function consoleInput(
	db: Db,
	socket: Socket,
	consoleId: number,
	text: string
): Promise<ConsoleAck> {
	const info = joined(socket, consoleId);
	if (!info) return { ok: false, error: 'Join the console before typing into it.' };
	const data = Buffer.from(text, 'utf8');
	if (data.length > CONSOLE_MAX_INPUT_BYTES) {
		const error = `That input is too large (${data.length} bytes; at most ${CONSOLE_MAX_INPUT_BYTES} at once): paste it in parts.`;
		notice(socket, consoleId, 'error', error);
		return { ok: false, error };
	}
	const d = socket.data as SocketData;
	const r = await sendInput(db, info, d, data);
	if (r.ok) return r;
	notice(socket, consoleId, r.reason === 'not-writer' ? 'info' : 'warning', r.error);
	if (r.reason === 'no-write') await dropped(db, socket, info, 'no console.write grant', data.length, true);
	if (r.reason === 'not-writer') await dropped(db, socket, info, 'not the writer', data.length, false);
	return { ok: false, error: r.error };
}

/** Who types when it is not a socket's keystrokes (gang input, macro playback): a user and their current rights. */
export type InputSender = LogUser & { principal: Principal };
export type InputResult =
	{ ok: true } | { ok: false; reason: 'no-write' | 'not-writer' | 'offline'; error: string };

/**
 * One piece of input from a user to a console: console.write on its device, the one-writer lock and a live pipe
 * are checked, then it goes to the access log under the user's name and on to the agent. A socket's keystrokes
 * come through here, and so does input the server sends for a user (gang connect, macros). A refusal is only
 * returned: the caller tells, logs or audits it.
 */
export async function sendInput(
	db: Db,
	info: RoomInfo,
	from: InputSender,
	data: Buffer
): Promise<InputResult> {
	if (rightsOn(from.principal, await deviceRef(db, info.deviceId)).mode !== 'write')
		return {
			ok: false,
			reason: 'no-write',
			error: 'Your input was dropped: you may only view this console.'
		};
	if (info.oneWriter && info.writer?.userId !== from.userId) {
		const error = info.writer
			? `Your input was dropped: ${info.writer.username} holds the keyboard; request control to type.`
			: 'Your input was dropped: request control to type on this console.';
		return { ok: false, reason: 'not-writer', error };
	}
	const offline = {
		ok: false,
		reason: 'offline',
		error: 'The console is not connected: your input was not sent.'
	} as const;
	if (!info.agentId || !info.pipeId || !info.agentOnline || !LIVE.has(info.pipeState)) return offline;
	// The agent keeps what is typed while its pipe connects, but not while it waits to reconnect.
	if (info.pipeState === 'retrying')
		return {
			ok: false,
			reason: 'offline',
			error: 'The console is reconnecting to its target: your input was not sent.'
		};
	// Queued to the access log first (it keeps call order), committed within milliseconds; waiting for the
	// commit would add a database round trip to every keystroke's echo.
	void logInput(db, { consoleId: info.id, deviceId: info.deviceId }, from, data);
	if (!toAgent({ agentId: info.agentId, pipeId: info.pipeId, op: 'input', data })) return offline;
	if (info.lastWriterId !== from.userId) void roomChanged(db, info.id, { lastWriterId: from.userId });
	return { ok: true };
}

export async function consoleResize(db: Db, socket: Socket, consoleId: number, cols: number, rows: number) {
	const info = joined(socket, consoleId);
	if (!info?.agentId || !info.pipeId) return;
	const ok = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
	if (!ok(cols, TERMINAL_MIN.cols, TERMINAL_MAX.cols) || !ok(rows, TERMINAL_MIN.rows, TERMINAL_MAX.rows))
		return;
	const d = socket.data as SocketData;
	if (rightsOn(d.principal, await deviceRef(db, info.deviceId)).mode !== 'write') return;
	const controls = info.oneWriter
		? info.writer?.userId === d.userId
		: info.lastWriterId == null || info.lastWriterId === d.userId;
	if (!controls) return;
	consoleState().sizes.set(consoleId, { cols, rows });
	toAgent({ agentId: info.agentId, pipeId: info.pipeId, op: 'resize', cols, rows });
}

export async function consoleBreak(db: Db, socket: Socket, consoleId: number): Promise<ConsoleAck> {
	const info = joined(socket, consoleId);
	if (!info) return { ok: false, error: 'Join the console before sending a break.' };
	const d = socket.data as SocketData;
	if (!rightsOn(d.principal, await deviceRef(db, info.deviceId)).canBreak)
		return {
			ok: false,
			error: 'You may not send a break to this console (no console.break grant on its device).'
		};
	if (!info.agentId || !info.pipeId || !info.agentOnline || !LIVE.has(info.pipeState))
		return { ok: false, error: 'The console is not connected: the break was not sent.' };
	void logEvent(db, { consoleId, deviceId: info.deviceId }, d, { event: 'break' });
	await audit(db, actorOf(d, socket.handshake.address), {
		action: 'console.break',
		targetType: 'console',
		targetId: consoleId,
		targetName: info.name
	});
	toAgent({ agentId: info.agentId, pipeId: info.pipeId, op: 'break' });
	return { ok: true };
}
