// Signed tasks from the server: verified (signature, audience, lifetime, nonce, allowlist) and run by
// tasks/runner.ts; every status goes back as a `task-status` report, so a result produced while the link
// is down arrives once it is back.
import { createPublicKey } from 'node:crypto';
import path from 'node:path';
import type { TaskStatus } from '../../../src/lib/protocol/tasks';
import { ReplayStore } from '../tasks/replay-store';
import { runTask } from '../tasks/runner';
import type { AgentModule } from './types';

/** Tasks running at once; more wait in line (a burst of "inventory now" must not fork a hundred collectors). */
const MAX_CONCURRENT = 8;
const MAX_WAITING = 500;

export const tasksModule: AgentModule = {
	name: 'tasks',
	start(ctx) {
		const publicKey = createPublicKey(ctx.identity.signingKey);
		const replayStore = ctx.identity.dir
			? ReplayStore.open(path.join(ctx.identity.dir, 'task-nonces.json'))
			: ReplayStore.memory();
		let running = 0;
		const waiting: (() => void)[] = [];
		const slot = () =>
			running < MAX_CONCURRENT ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve));

		ctx.on('task', (signed, ack) => {
			const reply = typeof ack === 'function' ? ack : () => {};
			if (waiting.length >= MAX_WAITING) {
				reply({ accepted: false, reason: 'the agent has too many tasks waiting; try again later' });
				return;
			}
			void (async () => {
				await slot();
				running++;
				let acked = false;
				try {
					await runTask(signed, {
						agentId: ctx.identity.agentId,
						publicKey,
						allow: ctx.cfg.tasks.allow,
						replayStore,
						handlers: ctx.taskHandlers(),
						signal: ctx.signal,
						onStatus(status: TaskStatus) {
							if (!acked) {
								acked = true;
								reply(
									status.state === 'refused'
										? { accepted: false, reason: status.message }
										: { accepted: true }
								);
							}
							if (status.state === 'refused')
								ctx.log('warning', `refused task ${status.taskId ?? '?'}: ${status.reason}`);
							else if (status.state !== 'running') ctx.log('info', `task ${status.taskId} ${status.state}`);
							ctx.report('task-status', status);
						}
					});
				} finally {
					running--;
					waiting.shift()?.();
				}
			})();
		});
	}
};
