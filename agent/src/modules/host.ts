// Starts the agent's modules against one link: the same code serves `fleetdesk-agent run` and each virtual
// agent of `simulate`.
import type { AgentConfig } from '../config';
import type { Link } from '../link';
import type { Logger } from '../log';
import type { Outbox } from '../outbox';
import type { Identity } from '../store';
import type { TaskHandler } from '../tasks/runner';
import type { AgentModule, ModuleContext } from './types';

export interface ModuleHost {
	/** Stops every module (aborts running tasks, clears timers). */
	stop(): void;
}

export function startModules(
	modules: readonly AgentModule[],
	deps: { identity: Identity; cfg: AgentConfig; log: Logger; outbox: Outbox; link: Link }
): ModuleHost {
	const abort = new AbortController();
	const handlers: Record<string, TaskHandler> = {};
	const ctx: ModuleContext = {
		identity: deps.identity,
		cfg: deps.cfg,
		log: deps.log,
		report: (kind, body) => deps.outbox.push(kind, body),
		backlog: () => deps.outbox.size,
		on: (event, fn) => deps.link.on(event, fn),
		onReady: (fn) => deps.link.onReady(fn),
		onDown: (fn) => deps.link.onDown(fn),
		emit: (event, ...args) => deps.link.emit(event, ...args),
		pendingBytes: () => deps.link.pendingBytes,
		settings: () => deps.link.settings,
		registerTask: (kind, handler) => {
			handlers[kind] = handler;
		},
		taskHandlers: () => handlers,
		signal: abort.signal
	};
	for (const m of modules) {
		try {
			m.start(ctx);
		} catch (e) {
			deps.log('error', `module ${m.name} failed to start: ${(e as Error).message}`);
			deps.outbox.push('event', {
				level: 'error',
				message: `module ${m.name} failed to start: ${(e as Error).message}`
			});
		}
	}
	return { stop: () => abort.abort() };
}
