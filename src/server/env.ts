import { z } from 'zod';
import os from 'node:os';
import path from 'node:path';

const bool = z
	.enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
	.optional()
	.transform((v) => v === '1' || v === 'true' || v === 'yes');

const envSchema = z.object({
	PORT: z.coerce.number().int().min(1).max(65535).default(3000),
	HOST: z.string().default('0.0.0.0'),
	DATABASE_URL: z
		.string()
		.regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must start with postgres:// or postgresql://')
		.optional(),
	FLEETDESK_DATA_DIR: z.string().default('./data'),
	FLEETDESK_ADMIN_PASSWORD: z
		.string()
		.min(8, 'FLEETDESK_ADMIN_PASSWORD must be at least 8 characters')
		.optional(),
	FLEETDESK_TLS_CERT: z.string().optional(),
	FLEETDESK_TLS_KEY: z.string().optional(),
	FLEETDESK_TRUST_PROXY: bool,
	FLEETDESK_ORIGIN: z.url('FLEETDESK_ORIGIN must be a URL such as https://fleetdesk.example.com').optional(),
	FLEETDESK_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).default(480),
	FLEETDESK_SESSION_MAX_HOURS: z.coerce.number().int().min(1).default(168),
	FLEETDESK_LOGIN_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(30),
	FLEETDESK_NODE_ID: z.string().optional(),
	FLEETDESK_AGENT_PORT: z
		.string()
		.regex(
			/^(off|\d{1,5})$/,
			'FLEETDESK_AGENT_PORT must be a port number, or 0 / off to disable the agent gateway'
		)
		.refine((v) => v === 'off' || Number(v) <= 65535, 'FLEETDESK_AGENT_PORT must be at most 65535')
		.optional(),
	FLEETDESK_AGENT_HOSTNAMES: z
		.string()
		.regex(
			/^[A-Za-z0-9.:*_-]+(\s*,\s*[A-Za-z0-9.:*_-]+)*$/,
			'FLEETDESK_AGENT_HOSTNAMES must be a comma-separated list of host names and IP addresses'
		)
		.optional(),
	FLEETDESK_INVENTORY_INTERVAL_HOURS: z.coerce
		.number()
		.min(0.001, 'FLEETDESK_INVENTORY_INTERVAL_HOURS must be at least 0.001 (3.6 seconds)')
		.max(720, 'FLEETDESK_INVENTORY_INTERVAL_HOURS must be at most 720 (30 days)')
		.default(24),
	FLEETDESK_METRICS_RAW_DAYS: z.coerce
		.number()
		.int('FLEETDESK_METRICS_RAW_DAYS must be a whole number of days')
		.min(1, 'FLEETDESK_METRICS_RAW_DAYS must be at least 1')
		.max(90, 'FLEETDESK_METRICS_RAW_DAYS must be at most 90')
		.default(7),
	FLEETDESK_METRICS_ROLLUP_DAYS: z.coerce
		.number()
		.int('FLEETDESK_METRICS_ROLLUP_DAYS must be a whole number of days')
		.min(7, 'FLEETDESK_METRICS_ROLLUP_DAYS must be at least 7')
		.max(3660, 'FLEETDESK_METRICS_ROLLUP_DAYS must be at most 3660 (10 years)')
		.default(400),
	FLEETDESK_METRICS_JOB_SECONDS: z.coerce
		.number()
		.int('FLEETDESK_METRICS_JOB_SECONDS must be a whole number of seconds')
		.min(5, 'FLEETDESK_METRICS_JOB_SECONDS must be at least 5')
		.max(86_400, 'FLEETDESK_METRICS_JOB_SECONDS must be at most 86400 (a day)')
		.default(300),
	FLEETDESK_CONSOLE_IDLE_SECONDS: z.coerce
		.number()
		.int('FLEETDESK_CONSOLE_IDLE_SECONDS must be a whole number of seconds')
		.min(1, 'FLEETDESK_CONSOLE_IDLE_SECONDS must be at least 1')
		.max(86_400, 'FLEETDESK_CONSOLE_IDLE_SECONDS must be at most 86400 (a day)')
		.default(30),
	FLEETDESK_ACCESS_LOG_RETENTION_MINUTES: z.coerce
		.number()
		.int('FLEETDESK_ACCESS_LOG_RETENTION_MINUTES must be a whole number of minutes')
		.min(1, 'FLEETDESK_ACCESS_LOG_RETENTION_MINUTES must be at least 1')
		.max(1440, 'FLEETDESK_ACCESS_LOG_RETENTION_MINUTES must be at most 1440 (a day)')
		.default(60),
	FLEETDESK_OCS_PASSWORD: z
		.string()
		.min(8, 'FLEETDESK_OCS_PASSWORD must be at least 8 characters')
		.optional(),
	FLEETDESK_OCS_USER: z
		.string()
		.regex(/^[^:\s]{1,64}$/, 'FLEETDESK_OCS_USER must be 1-64 characters without ":" or spaces')
		.default('ocs'),
	FLEETDESK_OCS_REALM: z
		.string()
		.regex(
			/^[^"\\]{0,100}$/,
			'FLEETDESK_OCS_REALM must be at most 100 characters without quotes or backslashes'
		)
		.default('Fleetdesk OCS'),
	FLEETDESK_OCS_GROUP: z
		.string()
		.trim()
		.min(1)
		.max(100, 'FLEETDESK_OCS_GROUP must be at most 100 characters')
		.default('ocs'),
	FLEETDESK_SECRET: z.string().min(32, 'FLEETDESK_SECRET must be at least 32 characters').optional()
});

export type Config = {
	port: number;
	host: string;
	databaseUrl?: string;
	dataDir: string;
	adminPassword?: string;
	tls?: { cert: string; key: string };
	trustProxy: boolean;
	origin?: string;
	sessionIdleMs: number;
	sessionMaxMs: number;
	loginRatePerMinute: number;
	nodeId?: string;
	/** The agent gateway's TLS port; null when disabled. `explicit`: set in the environment (not the default). */
	agent: { port: number | null; explicit: boolean; hostnames: string[]; inventoryIntervalHours: number };
	/** Resource history: retention of raw samples and aggregates, rollup job interval (docs/metrics.md). */
	metrics: { rawDays: number; rollupDays: number; jobSeconds: number };
	/** Consoles: how long an on-demand console's pipe stays open after its last viewer left. */
	consoles: { idleCloseMs: number };
	/** How often the access-log retention job runs (once per interval across all nodes). */
	accessLog: { retentionIntervalMs: number };
	/** The OCS Inventory endpoint (POST /ocsinventory): off unless a password is set (docs/ocs.md). */
	ocs: { password?: string; user: string; realm: string; group: string };
	/** Master key material for private keys at rest; unset means FLEETDESK_DATA_DIR/secret.key. */
	secret?: string;
};

/** Reads and validates configuration from the environment; throws one readable error listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
	// An empty variable means "not set" (e.g. `DATABASE_URL= npm start`).
	const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
	const parsed = envSchema.safeParse(present);
	if (!parsed.success) {
		const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
		throw new Error(`Fleetdesk configuration is invalid:\n${lines.join('\n')}`);
	}
	const e = parsed.data;
	if (!!e.FLEETDESK_TLS_CERT !== !!e.FLEETDESK_TLS_KEY) {
		throw new Error(
			'Fleetdesk configuration is invalid: set both FLEETDESK_TLS_CERT and FLEETDESK_TLS_KEY, or neither.'
		);
	}
	return {
		port: e.PORT,
		host: e.HOST,
		databaseUrl: e.DATABASE_URL,
		dataDir: path.resolve(e.FLEETDESK_DATA_DIR),
		adminPassword: e.FLEETDESK_ADMIN_PASSWORD,
		tls: e.FLEETDESK_TLS_CERT ? { cert: e.FLEETDESK_TLS_CERT, key: e.FLEETDESK_TLS_KEY! } : undefined,
		trustProxy: e.FLEETDESK_TRUST_PROXY,
		origin: e.FLEETDESK_ORIGIN?.replace(/\/$/, ''),
		sessionIdleMs: e.FLEETDESK_SESSION_IDLE_MINUTES * 60_000,
		sessionMaxMs: e.FLEETDESK_SESSION_MAX_HOURS * 3_600_000,
		loginRatePerMinute: e.FLEETDESK_LOGIN_RATE_PER_MINUTE,
		nodeId: e.FLEETDESK_NODE_ID,
		agent: {
			port:
				e.FLEETDESK_AGENT_PORT === undefined
					? 8443
					: e.FLEETDESK_AGENT_PORT === 'off' || Number(e.FLEETDESK_AGENT_PORT) === 0
						? null
						: Number(e.FLEETDESK_AGENT_PORT),
			explicit: e.FLEETDESK_AGENT_PORT !== undefined,
			hostnames: [
				...new Set(
					(e.FLEETDESK_AGENT_HOSTNAMES ?? `${os.hostname()},localhost,127.0.0.1`)
						.split(',')
						.map((h) => h.trim())
						.filter(Boolean)
				)
			],
			inventoryIntervalHours: e.FLEETDESK_INVENTORY_INTERVAL_HOURS
		},
		metrics: {
			rawDays: e.FLEETDESK_METRICS_RAW_DAYS,
			rollupDays: e.FLEETDESK_METRICS_ROLLUP_DAYS,
			jobSeconds: e.FLEETDESK_METRICS_JOB_SECONDS
		},
		consoles: { idleCloseMs: e.FLEETDESK_CONSOLE_IDLE_SECONDS * 1000 },
		accessLog: { retentionIntervalMs: e.FLEETDESK_ACCESS_LOG_RETENTION_MINUTES * 60_000 },
		ocs: {
			password: e.FLEETDESK_OCS_PASSWORD,
			user: e.FLEETDESK_OCS_USER,
			realm: e.FLEETDESK_OCS_REALM,
			group: e.FLEETDESK_OCS_GROUP
		},
		secret: e.FLEETDESK_SECRET
	};
}
