// `fleetdesk-agent simulate`: N virtual agents in one process, for demos and load tests. Each has its own
// key pair and certificate (enrolled through the real POST /enroll, or reused from DIR), its own mutual-TLS
// link through the real gateway code path, a synthetic machine and metrics that move. See docs/agents.md.
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { loadAgentConfig } from '../config';
import { createLogger } from '../log';
import { defaultDir } from '../store';
import { SIM_MODULE_NAMES, type SimModuleName } from './agent';
import { Fleet } from './fleet';
import { positiveInt, SimLog, sourceNet, UsageError } from './support';

export const SIMULATE_USAGE = `Usage: fleetdesk-agent simulate --server https://HOST:8443 --token TOKEN --count N [options]

  --count N             virtual agents to run (1-20000)
  --token TOKEN         a join token allowing N enrolments (fleetdesk token create --uses N); only needed
                        for agents that have no identity in DIR yet
  --dir DIR             where identities are kept, one folder per agent (default ${defaultDir()}-simulate);
                        a later run reuses them instead of enrolling again
  --config FILE         the agent config every virtual agent uses (intervals, reconnect, buffer, tasks)
  --prefix NAME         host names are NAME-0001, NAME-0002, ... (default sim)
  --rate N              links started per second (default 50)
  --modules LIST        what virtual agents run: tasks,inventory,metrics (default all)
  --inventory-within S  first inventory at a random moment within S seconds of going online (default 300)
  --status-seconds S    print a status line every S seconds (default 10; 0: only at the end)
  --source-net CIDR     enrol each agent from its own loopback address in CIDR (e.g. 127.1.0.0/16), as
                        distinct hosts would; the server allows 30 enrolments a minute per address

SIGINT or SIGTERM stops every virtual agent and exits.`;

/** `fleetdesk-agent simulate …` (argv: what follows `simulate`). Exit code 2 for bad usage. */
export async function simulateCommand(argv: string[]): Promise<number> {
	try {
		return await runSimulate(argv);
	} catch (e) {
		const err = e as NodeJS.ErrnoException;
		if (e instanceof UsageError || err.code?.startsWith?.('ERR_PARSE_ARGS')) {
			console.error(`${err.message}\n\n${SIMULATE_USAGE}`);
			return 2;
		}
		throw e;
	}
}

async function runSimulate(argv: string[]): Promise<number> {
	const { values } = parseArgs({
		args: argv,
		options: {
			server: { type: 'string' },
			token: { type: 'string' },
			count: { type: 'string' },
			dir: { type: 'string' },
			config: { type: 'string' },
			prefix: { type: 'string' },
			rate: { type: 'string' },
			modules: { type: 'string' },
			'inventory-within': { type: 'string' },
			'status-seconds': { type: 'string' },
			'source-net': { type: 'string' },
			help: { type: 'boolean', short: 'h' }
		}
	});
	if (values.help) {
		console.log(SIMULATE_USAGE);
		return 0;
	}
	if (!values.server || !values.count)
		throw new UsageError('simulate needs --server https://HOST:8443 and --count N.');
	const count = positiveInt('--count', values.count, 0, 20_000);
	if (count < 1) throw new UsageError('--count must be at least 1.');
	const prefix = values.prefix ?? 'sim';
	if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,40}$/.test(prefix))
		throw new UsageError('--prefix may contain letters, digits and dashes (at most 41).');
	const modules = (values.modules ?? SIM_MODULE_NAMES.join(','))
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean);
	for (const m of modules)
		if (!(SIM_MODULE_NAMES as readonly string[]).includes(m))
			throw new UsageError(
				`--modules: there is no module "${m}"; choose from ${SIM_MODULE_NAMES.join(', ')}.`
			);
	const rate = positiveInt('--rate', values.rate, 50, 10_000) || 50;
	const statusSeconds = positiveInt('--status-seconds', values['status-seconds'], 10, 3600);
	const inventoryWithin = positiveInt('--inventory-within', values['inventory-within'], 300, 7 * 86_400);
	const source = values['source-net'] ? sourceNet(values['source-net'], count) : undefined;
	const cfg = loadAgentConfig(values.config);
	const dir = values.dir ?? `${defaultDir()}-simulate`;
	const log = new SimLog(createLogger(cfg.logFile, cfg.debug), cfg.debug);
	const say = (line: string) => console.log(`simulate: ${line}`);

	const fleet = new Fleet({
		server: values.server,
		token: values.token,
		count,
		dir,
		prefix,
		cfg,
		modules: modules as SimModuleName[],
		rate,
		enrolConcurrency: 8,
		inventoryWithinMs: inventoryWithin * 1000,
		sourceAddress: source,
		logFor: (host) => log.for(host),
		say
	});

	const status = () => {
		const c = fleet.counts();
		const t = ((Date.now() - fleet.startedAt) / 1000).toFixed(1);
		say(
			`${t} s: ${count} agents: ${c.online} online, ${c.connecting} connecting, ${c.refused} refused, ` +
				`${c.stopped} stopped; enrolled ${fleet.enrolled}, reused ${fleet.reused}, failed ${fleet.enrolFailures}; ` +
				`reports ${c.delivered} delivered, ${c.queued} queued, ${c.dropped} dropped; ` +
				`${log.warnings} warnings, ${log.errors} errors${log.suppressed ? ` (${log.suppressed} log lines not shown)` : ''}`
		);
		log.resetBudget();
	};
	// Said the moment every agent is online (again, after an outage): load tests time reconnection by it.
	let allOnline = false;
	const watch = setInterval(() => {
		const now = fleet.counts().online === count;
		if (now && !allOnline)
			say(
				`all ${count} agents online at ${new Date().toISOString()} (${((Date.now() - fleet.startedAt) / 1000).toFixed(1)} s after start)`
			);
		allOnline = now;
	}, 100);
	const ticker = statusSeconds ? setInterval(status, statusSeconds * 1000) : null;

	// Test hook (never on in production): stdin lines queue an event on every agent, or print the status.
	if (process.env.FLEETDESK_AGENT_TEST_HOOKS === '1') {
		readline.createInterface({ input: process.stdin }).on('line', (line) => {
			const m = /^event (.*)$/.exec(line);
			if (m) for (const a of fleet.agents) a.outbox.push('event', { level: 'info', message: m[1] });
			else if (line.trim() === 'status') status();
		});
	}

	say(
		`starting ${count} virtual agents (${modules.join(', ')}) against ${values.server}; identities in ${dir}`
	);
	const stopped = new Promise<string>((resolve) => {
		for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
	});
	const running = fleet.run().then(() => 'started' as const);
	const first = await Promise.race([stopped, running]);
	if (first === 'started') {
		const c = fleet.counts();
		if (c.started === 0) {
			if (ticker) clearInterval(ticker);
			clearInterval(watch);
			say('no virtual agent could be started.');
			return 1;
		}
	}
	// Runs until stopped, or until every agent was refused for good (revoked, unknown).
	const allRefused = new Promise<string>((resolve) => {
		const t = setInterval(() => {
			const c = fleet.counts();
			if (c.started > 0 && c.refused === c.started && c.started === count - fleet.enrolFailures) {
				clearInterval(t);
				resolve('refused');
			}
		}, 1000);
		t.unref();
	});
	const why = first === 'started' ? await Promise.race([stopped, allRefused]) : first;
	say(`${why}: stopping`);
	await fleet.stop();
	if (ticker) clearInterval(ticker);
	clearInterval(watch);
	status();
	return why === 'refused' ? 78 : 0;
}
