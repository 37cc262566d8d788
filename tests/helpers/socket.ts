import { io, type Socket } from 'socket.io-client';

/** Connects to /desktop as a browser would; resolves once connected or rejects with the server's reason. */
export function connectDesktop(
	url: string,
	cookie: string | null,
	origin: string | null = url
): Promise<Socket> {
	const headers: Record<string, string> = {};
	if (cookie) headers.cookie = cookie;
	if (origin) headers.origin = origin;
	const socket = io(`${url}/desktop`, {
		transports: ['websocket'],
		extraHeaders: headers,
		reconnection: false,
		timeout: 5000
	});
	return new Promise((resolve, reject) => {
		socket.once('connect', () => resolve(socket));
		socket.once('connect_error', (e) => {
			socket.close();
			reject(e);
		});
	});
}

export function nextEvent<T = unknown>(socket: Socket, event: string, timeoutMs = 5000): Promise<T> {
	return new Promise((resolve, reject) => {
		const t = setTimeout(() => reject(new Error(`no "${event}" within ${timeoutMs} ms`)), timeoutMs);
		socket.once(event, (v: T) => {
			clearTimeout(t);
			resolve(v);
		});
	});
}
