// Playing a macro into consoles, server-side. Each console gets its own playback, wired to the broker:
//  - input goes through the broker's one input path (console.write, one-writer lock, the access log under the
//    player's name, the agent wherever its link is);
//  - output is read with an output tap on this node. The playback registers as a viewer of the room here, so
//    when the agent's link is on another node, that node forwards the console's output to this one over the
//    cluster bus exactly as it does for a browser watching from here (and an on-demand pipe stays open).
import type { Db } from '../../db/client';
import { audit } from '../../audit/audit';
import { UserError } from '../../errors';
import { GANG_MAX_CONSOLES, type MacroPlayAck, type MacroView } from '../../../lib/protocol/gang';
import { deviceRef, rightsOn } from '../access';
import { sendInput } from '../input';
import { openForViewer } from '../pipes';
import { addViewer, removeViewer, roomInfo } from '../rooms';
import { consoleState, type RoomInfo } from '../state';
import { mapLimit } from '../gang';
import { Playback } from './engine';
import { getMacro } from './library';
import { logGangMacroEvent } from './log';
import { tapOutput } from './output-tap';
import { localRuns, MacroRunner, type RunUser } from './run';

/** An on-demand console gets this long to connect before its playback fails. */
const OPEN_WAIT_MS = 15_000;
const MAX_RUNS_PER_USER = 10;

/** Why the macro cannot play into this console now (it is listed as skipped), or null. */
function skipReason(info: RoomInfo, mode: 'view' | 'write', userId: number): string | null {
	if (mode !== 'write') return 'You may only view this console (no console.write).';
	if (info.oneWriter && info.writer?.userId !== userId)
		return info.writer
			? `${info.writer.username} holds the keyboard (one writer at a time).`
			: 'One writer at a time: request control of this console first.';
	if (!info.enabled) return 'This console is disabled.';
	if (info.stopped) return 'This console was stopped: start it first.';
	if (!info.agentId || !info.agentOnline) return 'The agent that runs this console is not connected.';
	return null;
}

async function whenOpen(consoleId: number, pb: Playback): Promise<boolean> {
	const end = Date.now() + OPEN_WAIT_MS;
	for (;;) {
		const info = consoleState().rooms.get(consoleId);
		if (info?.pipeState === 'open' && info.agentOnline) return true;
		if (pb.stopping || Date.now() > end) return false;
		await new Promise((r) => setTimeout(r, 100));
	}
}

async function playConsole(db: Db, run: MacroRunner, consoleId: number): Promise<void> {
	const pb = run.members.get(consoleId)!.playback;
	const info = await roomInfo(db, consoleId, true);
	if (!info) return void pb.skip('This console was deleted.');
	const user = await run.sender(db);
	const rights = rightsOn(user.principal, await deviceRef(db, info.deviceId));
	const why = rights.view ? skipReason(info, rights.mode, user.userId) : 'You may not view this console.';
	if (why) return void pb.skip(why);
	const viewerId = `macro:${run.runId}`;
	const untap = tapOutput(consoleId, (_seq, data) => pb.feed(data));
	addViewer(consoleId, viewerId, { userId: user.userId, username: user.username, mode: 'write' });
	try {
		await openForViewer(db, info, { id: user.userId, name: user.username, ip: user.ip });
		if (!(await whenOpen(consoleId, pb)))
			return void (pb.stopping
				? pb.skip('Stopped before it started.')
				: pb.fail(`The console did not connect within ${OPEN_WAIT_MS / 1000} s.`));
		const to = { consoleId, deviceId: info.deviceId };
		const base = { event: 'macro', macro: run.macro.name, macroId: run.macro.id, runId: run.runId } as const;
		const counts = { by: user.username, steps: run.macro.steps.length };
		void logGangMacroEvent(db, to, user, { ...base, action: 'start', ...counts });
		const final = await pb.run();
		const action = final === 'done' || final === 'stopped' || final === 'timed-out' ? final : 'failed';
		void logGangMacroEvent(db, to, user, { ...base, action, ...counts, step: pb.step, message: pb.message });
	} finally {
		untap();
		removeViewer(consoleId, viewerId);
	}
}

/** Starts `macroId` in each console at once; the run goes on without the browser. */
export async function playMacro(
	db: Db,
	user: RunUser,
	macroId: number,
	consoleIds: number[]
): Promise<MacroPlayAck> {
	const ids = [...new Set(consoleIds)];
	if (!ids.length) return { ok: false, error: 'Choose at least one console to play the macro into.' };
	if (ids.length > GANG_MAX_CONSOLES)
		return {
			ok: false,
			error: `A macro plays into at most ${GANG_MAX_CONSOLES} consoles at once: choose fewer.`
		};
	const mine = [...localRuns().values()].filter((r) => r.user.userId === user.userId).length;
	if (mine >= MAX_RUNS_PER_USER)
		return { ok: false, error: `You have ${mine} macros running: wait for one to finish or stop one.` };
	let macro: MacroView;
	try {
		macro = await getMacro(db, user.principal, macroId);
	} catch (e) {
		if (e instanceof UserError) return { ok: false, error: e.message };
		throw e;
	}
	const run = new MacroRunner(macro, user);
	const infos = await mapLimit(ids, 8, (id) => roomInfo(db, id, true));
	for (const [i, id] of ids.entries()) {
		const info = infos[i];
		const visible = !!info && rightsOn(user.principal, await deviceRef(db, info.deviceId)).view;
		const playback = new Playback(macro.steps, {
			send: async (text) => {
				const now = consoleState().rooms.get(id) ?? (await roomInfo(db, id));
				if (!now) return 'This console was deleted.';
				const r = await sendInput(db, now, await run.sender(db), Buffer.from(text, 'utf8'));
				return r.ok ? null : r.error;
			},
			progress: () => run.changed(id)
		});
		run.members.set(id, { name: visible ? info.name : '', playback, reported: 0 });
		if (!visible) playback.skip(`There is no console ${id} you may view.`);
	}
	localRuns().set(run.runId, run);
	await audit(
		db,
		{ id: user.userId, name: user.username, ip: user.ip },
		{
			action: 'macro.play',
			targetType: 'macro',
			targetId: macro.id,
			targetName: macro.name,
			after: { runId: run.runId, consoles: ids }
		}
	);
	const plays = [...run.members.entries()]
		.filter(([, m]) => !m.playback.finished)
		.map(([id]) =>
			playConsole(db, run, id).catch((e) => {
				console.error(`macros: playing "${macro.name}" into console ${id} failed:`, e);
				run.members.get(id)!.playback.fail('The server failed to play the macro here; see its log.');
			})
		);
	run.announce();
	void Promise.all(plays).then(() => run.finish());
	return { ok: true, run: run.view() };
}
