// Several windows of one tab may show the same console over the one socket. The server keeps one membership
// per socket, so only the last of them to close may leave the room. Counted per socket and console; not
// reactive on purpose (nothing renders from it).
import type { DesktopSocket } from '$lib/realtime';

const bySocket = new WeakMap<DesktopSocket, Map<number, number>>();

function counts(socket: DesktopSocket): Map<number, number> {
	let m = bySocket.get(socket);
	if (!m) bySocket.set(socket, (m = new Map()));
	return m;
}

export function windowOpened(socket: DesktopSocket, consoleId: number): void {
	const m = counts(socket);
	m.set(consoleId, (m.get(consoleId) ?? 0) + 1);
}

/** A window closed; true when it was the last one of this console on this socket. */
export function windowClosed(socket: DesktopSocket, consoleId: number): boolean {
	const m = counts(socket);
	const left = (m.get(consoleId) ?? 1) - 1;
	if (left > 0) m.set(consoleId, left);
	else m.delete(consoleId);
	return left <= 0;
}

/** Socket.IO hands binary to browsers as ArrayBuffer (or Uint8Array); anything else is no bytes. */
export function toBytes(data: unknown): Uint8Array {
	if (data instanceof Uint8Array) return data;
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	return new Uint8Array(0);
}
