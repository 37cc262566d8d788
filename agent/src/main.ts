// fleetdesk-agent: enrol this host, then keep its link to Fleetdesk. See docs/agents.md.
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { loadAgentConfig } from './config';
import { enroll, EnrollError } from './enroll';
import { Link, LinkFatal } from './link';
import { createLogger } from './log';
import { Outbox } from './outbox';
import { defaultDir, loadIdentity } from './store';
import { AGENT_VERSION } from './version';
import { runShowCommand } from './cli-show';
import { MODULES } from './modules';
import { startModules } from './modules/host';
import { simulateCommand } from './simulate/cli';
import { startCertRenewal } from './renew';

const USAGE = `Usage: fleetdesk-agent <command>

  enroll --server https://HOST:8443 --token TOKEN [--dir DIR] [--force]
                 enrol this host: make a key pair here, check the server against the CA pinned in the
                 token, send a certificate request, store the identity in DIR (mode 0700/0600)
  run [--dir DIR] [--config FILE]
                 connect to the server over mutual TLS and stay connected
  show cpus|filesystems|memory|processes [--json] [--all | --limit N]
                 print the same table on every OS (JSON rows with --json)
  simulate --server https://HOST:8443 --token TOKEN --count N [--dir DIR] [--config FILE]
                 run N virtual agents in this process, each with its own identity and link, for
                 demos and load tests (simulate --help for its options)
  version        print the agent's version

DIR defaults to /var/lib/fleetdesk-agent as root, ~/.fleetdesk-agent otherwise.
Exit codes: 0 done, 1 failed, 2 usage, 78 this identity was revoked or is unknown to the server.`;

/** EX_CONFIG: under systemd use RestartPreventExitStatus=78, a revoked agent must not loop. */
const EXIT_REVOKED = 78;

async function main(argv: string[]): Promise<number> {
	// `show` has its own options, so it is dispatched before the common argument parser.
	if (argv[0] === 'show') return runShowCommand(argv.slice(1));
	if (argv[0] === 'simulate') return simulateCommand(argv.slice(1));
	const { values, positionals } = parseArgs({
		args: argv,
		allowPositionals: true,
		options: {
			server: { type: 'string' },
			token: { type: 'string' },
			dir: { type: 'string' },
			config: { type: 'string' },
			force: { type: 'boolean' },
			help: { type: 'boolean', short: 'h' }
		}
	});
	const cmd = positionals[0];
	const dir = values.dir ?? defaultDir();
	if (values.help || !cmd || cmd === 'help') {
		console.log(USAGE);
		return cmd || values.help ? 0 : 2;
	}
	switch (cmd) {
		case 'version':
			console.log(AGENT_VERSION);
			return 0;
		case 'enroll': {
			if (!values.server || !values.token) {
				console.error('enroll needs --server https://HOST:8443 and --token TOKEN.\n\n' + USAGE);
				return 2;
			}
			const r = await enroll({ server: values.server, token: values.token, dir, force: values.force });
			console.log(`Enrolled as agent ${r.agentId} (device ${r.deviceName}); identity stored in ${dir}.`);
			console.log(`Start it with: fleetdesk-agent run --dir ${dir}`);
			return 0;
		}
		case 'run':
			return run(dir, values.config);
		default:
			console.error(`Unknown command "${cmd}".\n\n${USAGE}`);
			return 2;
	}
}

async function run(dir: string, configFile?: string): Promise<number> {
	const cfg = loadAgentConfig(configFile);
	const id = loadIdentity(dir);
	const log = createLogger(cfg.logFile, cfg.debug);
	const outbox = new Outbox(cfg.buffer.maxMessages, cfg.buffer.maxBytes);
	const link = new Link(id, cfg, outbox, log);
	log('info', `fleetdesk-agent ${AGENT_VERSION} starting as agent ${id.agentId} → ${id.server}`);
	outbox.push('event', { level: 'info', message: `agent ${AGENT_VERSION} started` });
	const modules = startModules(MODULES, { identity: id, cfg, log, outbox, link });
	const renewal = startCertRenewal({ link, identity: id, log, outbox });

	for (const sig of ['SIGINT', 'SIGTERM'] as const)
		process.once(sig, () => {
			log('info', `${sig}: stopping`);
			modules.stop();
			renewal.stop();
			link.stop();
		});

	// Test hook (never on in production): lines on stdin queue reports, so tests can watch buffering.
	if (process.env.FLEETDESK_AGENT_TEST_HOOKS === '1') {
		readline.createInterface({ input: process.stdin }).on('line', (line) => {
			const m = /^event (.*)$/.exec(line);
			if (m) outbox.push('event', { level: 'info', message: m[1] });
		});
	}

	link.start();
	try {
		await link.done;
		return 0;
	} catch (e) {
		if (e instanceof LinkFatal) return EXIT_REVOKED;
		throw e;
	}
}

main(process.argv.slice(2)).then(
	(code) => process.exit(code),
	(e: Error) => {
		if (e instanceof EnrollError || (e as NodeJS.ErrnoException).code?.startsWith?.('ERR_PARSE_ARGS'))
			console.error(e.message);
		else console.error(process.env.FLEETDESK_AGENT_DEBUG ? e.stack : e.message);
		process.exit(1);
	}
);
