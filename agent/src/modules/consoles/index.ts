// Shared consoles, agent side: the console-open / console-close task kinds and the pipe link events. See
// docs/agents.md ("Consoles on the agent") and src/lib/protocol/consoles.ts for the contract.
import {
	TERMINAL_MAX,
	TERMINAL_MIN,
	type ConsoleCloseArgs,
	type ConsoleOpenArgs
} from '../../../../src/lib/protocol/consoles';
import type { AgentModule } from '../types';
import { PipeManager } from './manager';

/** Bytes as Socket.IO delivers them: a Buffer in Node; anything else is not input. */
function bytes(data: unknown): Uint8Array | null {
	if (data instanceof Uint8Array) return data;
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	return null;
}

const inRange = (v: unknown, min: number, max: number): v is number =>
	Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

export const consolesModule: AgentModule = {
	name: 'consoles',
	start(ctx) {
		const pipes = new PipeManager(ctx);

		// Arguments were checked against the kind's schema by the task verifier.
		ctx.registerTask('console-open', async (args) => ({ result: await pipes.open(args as ConsoleOpenArgs) }));
		ctx.registerTask('console-close', async (args) => ({
			result: pipes.close((args as ConsoleCloseArgs).pipeId)
		}));

		ctx.on('pipe:input', (m) => {
			const data = bytes(m?.data);
			if (typeof m?.pipeId === 'string' && data) pipes.input(m.pipeId, data);
		});
		ctx.on('pipe:resize', (m) => {
			if (
				typeof m?.pipeId === 'string' &&
				inRange(m.cols, TERMINAL_MIN.cols, TERMINAL_MAX.cols) &&
				inRange(m.rows, TERMINAL_MIN.rows, TERMINAL_MAX.rows)
			)
				pipes.resize(m.pipeId, m.cols, m.rows);
		});
		ctx.on('pipe:break', (m) => {
			if (typeof m?.pipeId === 'string') pipes.sendBreak(m.pipeId);
		});
		ctx.on('pipe:stored', (m) => {
			if (typeof m?.pipeId === 'string' && Number.isInteger(m.seq)) pipes.stored(m.pipeId, m.seq);
		});
		ctx.on('pipe:received', (m) => {
			if (Number.isSafeInteger(m?.bytes) && m.bytes >= 0) pipes.received(m.bytes);
		});
		ctx.onReady((settings) => pipes.linkReady(settings.consoleOutputWindowBytes ?? null));
		ctx.onDown(() => pipes.linkDown());
		ctx.signal.addEventListener('abort', () => pipes.stopAll(), { once: true });
	}
};
