// The files module: the log viewer's reads (sessions opened by signed `logs-open` tasks), the pattern rules on
// the host's log files and the changed-file watch (both configured by signed `logs-config` tasks). See
// docs/logs.md.
import fs from 'node:fs';
import path from 'node:path';
import {
	logsConfigArgsSchema,
	type LogsConfigArgs,
	type LogsOpenArgs
} from '../../../../src/lib/protocol/logs';
import type { AgentModule, ModuleContext } from '../types';
import { AllowList } from './allow';
import { journalAvailable } from './journal';
import { JournalTailer } from './journal-tail';
import { Sessions } from './sessions';
import { RuleTailer } from './tail';
import { FileWatch } from './watch';

const CONFIG_FILE = 'logs-config.json';

function loadConfig(ctx: ModuleContext): LogsConfigArgs | null {
	if (!ctx.identity.dir) return null;
	const file = path.join(ctx.identity.dir, CONFIG_FILE);
	try {
		const p = logsConfigArgsSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
		return p.success ? p.data : null;
	} catch {
		return null;
	}
}

function saveConfig(ctx: ModuleContext, cfg: LogsConfigArgs): void {
	if (!ctx.identity.dir) return;
	const file = path.join(ctx.identity.dir, CONFIG_FILE);
	fs.writeFileSync(`${file}.tmp`, JSON.stringify(cfg), { mode: 0o600 });
	fs.renameSync(`${file}.tmp`, file);
}

export const filesModule: AgentModule = {
	name: 'files',
	start(ctx) {
		const opts = ctx.cfg.filesModule;
		const readable = new AllowList([...ctx.cfg.logs, ...ctx.cfg.files]);
		const logsOnly = new AllowList(ctx.cfg.logs);
		const journalOk = opts.journal && journalAvailable(opts.journalctl);
		const stateFile = (name: string) => (ctx.identity.dir ? path.join(ctx.identity.dir, name) : null);
		const sessions = new Sessions(
			() => readable,
			() => ({ ok: journalOk, bin: opts.journalctl })
		);
		const watch = new FileWatch(
			stateFile('file-watch.json'),
			(c) => {
				ctx.log('info', `watched file ${c.path} changed (${c.changed.join(', ')})`);
				ctx.report('file-change', { ...c, at: new Date().toISOString() });
			},
			(m) => ctx.log('warning', m)
		);
		const tailer = new RuleTailer(
			() => logsOnly,
			stateFile('logs-tail.json'),
			(m) => {
				ctx.log(
					'debug',
					`rule ${m.ruleId} matched in ${m.source.type === 'file' ? m.source.path : 'journal'}`
				);
				ctx.report('log-match', m);
			},
			(m) => ctx.log('warning', m)
		);
		const journalTail = journalOk
			? new JournalTailer(
					opts.journalctl,
					stateFile('logs-journal.json'),
					(l) => tailer.matchJournal(l),
					(m) => ctx.log('warning', m)
				)
			: null;
		let config = loadConfig(ctx);

		const apply = (cfg: LogsConfigArgs | null) => {
			tailer.setRules(opts.rules ? (cfg?.rules ?? []) : []);
			journalTail?.set(opts.rules && tailer.hasRules);
			// Until the server says otherwise (first start, before the first config), nothing is watched.
			watch.setEntries(opts.watch ? (cfg?.watch ?? []) : []);
		};
		const hello = () =>
			ctx.emit(
				'logs:hello',
				{
					allow: [...ctx.cfg.logs, ...ctx.cfg.files],
					journal: journalOk,
					configVersion: config?.version ?? null
				},
				() => {}
			);

		ctx.registerTask('logs-open', async (args) => ({
			result: await sessions.open(args as LogsOpenArgs)
		}));
		ctx.registerTask('logs-config', async (args) => {
			config = args as LogsConfigArgs;
			saveConfig(ctx, config);
			apply(config);
			// the new paths' first look (their baseline) is taken before the task is reported done
			await watch.tick();
			hello();
			ctx.log(
				'info',
				`logs config ${config.version.slice(0, 12)}: ${config.rules.length} rules, ${config.watch.length} watched paths`
			);
			return { result: { version: config.version } };
		});
		ctx.on('logs:op', (m, ack) => {
			if (typeof ack !== 'function') return;
			void sessions.handle(m).then(ack);
		});
		ctx.on('logs:list', (ack) => {
			if (typeof ack !== 'function') return;
			void readable
				.expand()
				.then((files) => ack({ files, journal: journalOk }))
				.catch(() => ack({ files: [], journal: journalOk }));
		});
		ctx.onReady(() => hello());

		apply(config);
		if (opts.watch) watch.start(opts.watchSeconds * 1000);
		if (opts.rules) tailer.start(opts.tailMs);
		ctx.signal.addEventListener(
			'abort',
			() => {
				sessions.stop();
				watch.stop();
				tailer.stop();
				journalTail?.stop();
			},
			{ once: true }
		);
	}
};
