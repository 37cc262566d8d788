// node-pty, ssh2 and serialport contain native code, so the agent bundle leaves them out (agent/build.mjs)
// and loads them only when a console of their kind opens: a host without them still runs everything else.
import { DriverError } from './drivers/types';

type Native = {
	'node-pty': typeof import('node-pty');
	ssh2: typeof import('ssh2');
	serialport: typeof import('serialport');
};

const loaded: Partial<Native> = {};

export async function loadNative<K extends keyof Native>(name: K): Promise<Native[K]> {
	if (loaded[name]) return loaded[name] as Native[K];
	try {
		let mod: unknown;
		// Literal specifiers, so the bundler sees (and leaves out) each one.
		if (name === 'node-pty') mod = await import('node-pty');
		else if (name === 'ssh2') mod = await import('ssh2');
		else mod = await import('serialport');
		// ESM gives CommonJS modules as `default`; esbuild's CommonJS output gives them as they are.
		const m = ((mod as { default?: unknown }).default ?? mod) as Native[K];
		loaded[name] = m;
		return m;
	} catch (e) {
		throw new DriverError(
			`${name} is not installed where the agent runs (${(e as Error).message.split('\n')[0]}): install it next to the agent`,
			true
		);
	}
}
