// Input, resize and break for a pipe, to its agent: straight down the link when this node holds it, else over
// the cluster bus to the node that does (in the order they were sent).
import type { BusMessage } from './bus';
import { clustered, sendBus } from './bus';
import { consoleState } from './state';

type PipeOp = Extract<BusMessage, { t: 'pipe' }>;

/** Delivers to the agent's link if it is on this node; false when it is not. */
export function toLocalAgent(m: Omit<PipeOp, 't'>): boolean {
	const socket = consoleState().agents.get(m.agentId);
	if (!socket?.connected) return false;
	if (m.op === 'input' && m.data) socket.emit('pipe:input', { pipeId: m.pipeId, data: m.data });
	else if (m.op === 'resize' && m.cols && m.rows)
		socket.emit('pipe:resize', { pipeId: m.pipeId, cols: m.cols, rows: m.rows });
	else if (m.op === 'break') socket.emit('pipe:break', { pipeId: m.pipeId });
	return true;
}

/** Sends to the agent wherever its link is; false when no node can have it (one node, agent not here). */
export function toAgent(m: Omit<PipeOp, 't'>): boolean {
	if (toLocalAgent(m)) return true;
	if (!clustered()) return false;
	sendBus({ t: 'pipe', ...m });
	return true;
}
