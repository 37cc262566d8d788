// Starts the broker on this node: the cluster bus (other nodes' viewers, room changes, output, input for
// agents linked here, scrollback requests), the periodic viewer announcements, and the hooks between rooms
// and pipes.
import type { Runtime } from '../runtime';
import { consoleRoom } from '../../lib/protocol/consoles';
import { clustered, sendBus, startBus, type BusMessage } from './bus';
import { toLocalAgent } from './agent-io';
import { checkIdle } from './idle';
import { recheckViewers } from './join';
import { fanOutLocal, scrollback } from './output';
import {
	ANNOUNCE_EVERY_MS,
	announceAll,
	desktopNs,
	emitRoomLocal,
	nodeId,
	onParticipantsChanged,
	onRoomInfo,
	remoteParticipants,
	remoteViewers,
	resyncRoom,
	roomChangedElsewhere,
	roomInfo
} from './rooms';
import { dropStaleTracks } from './tracks';
import { consoleState } from './state';

const STARTED = Symbol.for('fleetdesk.consoles.started');
type G = typeof globalThis & { [STARTED]?: boolean };

export function startConsoleBroker(rt: Runtime): void {
	if ((globalThis as G)[STARTED]) return;
	(globalThis as G)[STARTED] = true;
	const db = rt.db;
	const s = consoleState();

	onParticipantsChanged((id) => checkIdle(db, id));
	onRoomInfo((id, info) => {
		dropStaleTracks(id, info?.pipeId ?? null);
		if (!info) {
			// Deleted: nobody stays in its room.
			s.rings.delete(id);
			s.viewers.delete(id);
			desktopNs()?.local.in(consoleRoom(id)).socketsLeave(consoleRoom(id));
		}
		checkIdle(db, id);
	});

	const answerSnapshot = async (m: Extract<BusMessage, { t: 'snapshot?' }>) => {
		const info = await roomInfo(db, m.consoleId);
		if (!info?.agentId || !s.agents.has(info.agentId)) return;
		const snap = await scrollback(db, info);
		sendBus({ t: 'snapshot', id: m.id, to: m.node, seq: snap.seq, data: snap.data });
	};

	startBus(rt, (m) => {
		if (m.t === 'viewers') remoteParticipants(m.node, m.consoleId, m.participants);
		else if (m.t === 'hello') announceAll();
		else if (m.t === 'room')
			void roomChangedElsewhere(db, m.consoleId, m.patch).catch((e) =>
				console.error('consoles: reading a changed console failed:', (e as Error).message)
			);
		else if (m.t === 'out') fanOutLocal(m.consoleId, m.seq, m.data);
		else if (m.t === 'snapshot?' && m.node !== nodeId())
			void answerSnapshot(m).catch((e) =>
				console.error('consoles: answering a scrollback request failed:', (e as Error).message)
			);
		else if (m.t === 'pipe') toLocalAgent(m);
	});
	sendBus({ t: 'hello', node: nodeId() });

	// Announce again now and then (a node that missed a message, or started, catches up); expire silent nodes.
	const tick = setInterval(() => {
		announceAll();
		void recheckViewers(db).catch((e) =>
			console.error('consoles: checking viewers’ grants failed:', (e as Error).message)
		);
		// Rooms shown here whose agent is linked elsewhere: read again, in case a change was missed on the bus.
		if (clustered())
			for (const id of [...s.viewers.keys()]) {
				const info = s.rooms.get(id);
				if (info?.agentId && s.agents.has(info.agentId)) continue;
				void resyncRoom(db, id).catch((e) =>
					console.error('consoles: reading a room again failed:', (e as Error).message)
				);
			}
		for (const id of [...s.remote.keys()]) {
			const before = s.remote.get(id)?.size ?? 0;
			if (!remoteViewers(id) && !s.remote.get(id)?.size) s.remote.delete(id);
			if ((s.remote.get(id)?.size ?? 0) !== before) emitRoomLocal(id); // a silent node's viewers expired
			checkIdle(db, id);
		}
	}, ANNOUNCE_EVERY_MS);
	tick.unref();
}
