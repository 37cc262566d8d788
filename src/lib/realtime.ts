import { io, type Socket } from 'socket.io-client';
import type { DesktopClientEvents, DesktopServerEvents } from '$protocol/desktop';

export type DesktopSocket = Socket<DesktopServerEvents, DesktopClientEvents>;

let socket: DesktopSocket | null = null;

/** The one /desktop connection of this tab, authenticated by the session cookie. */
export function desktopSocket(): DesktopSocket {
	socket ??= io('/desktop', { withCredentials: true, transports: ['websocket', 'polling'] });
	return socket;
}
