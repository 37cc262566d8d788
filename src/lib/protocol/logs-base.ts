// The log viewer's limits, severities and paths: what the other logs-* contracts build on (see logs.ts).
import { z } from 'zod';

/** The longest line returned whole; longer ones are cut (`truncated`). */
export const LOG_MAX_LINE_CHARS = 16 * 1024;
/** Lines per read or follow answer. */
export const LOG_MAX_LINES = 2000;
/** Filter rows (hits and their context) per answer. */
export const LOG_MAX_FILTER_ROWS = 2000;
export const LOG_MAX_CONTEXT = 50;
/** Include and exclude patterns per filter. */
export const LOG_MAX_PATTERNS = 8;
/** A follow call may wait this long for new lines. */
export const LOG_MAX_WAIT_MS = 10_000;

export const LOG_SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
export type LogSeverity = (typeof LOG_SEVERITIES)[number];

/** The security-relevant files every agent watches unless its groups say otherwise. */
export const DEFAULT_WATCHED_FILES = [
	'/etc/passwd',
	'/etc/shadow',
	'/etc/group',
	'/etc/sudoers',
	'/etc/sudoers.d/*',
	'/etc/ssh/sshd_config',
	'/root/.ssh/authorized_keys',
	'/etc/crontab',
	'/etc/cron.d/*',
	'/var/spool/cron/crontabs/*',
	'/etc/hosts'
] as const;

/** An absolute path on the agent host (no NUL). */
export const absPath = z
	.string()
	.min(2, 'A path is absolute, such as /var/log/syslog')
	.max(4096)
	.startsWith('/', 'A path is absolute, such as /var/log/syslog')
	.refine((s) => !s.includes('\0'), 'A path must not contain a NUL character');

/** A watch-list entry: an absolute path, `*` and `?` allowed in its last part. */
export const watchPathSchema = absPath.refine(
	(s) => !/[*?[]/.test(s.slice(0, s.lastIndexOf('/'))),
	'Wildcards (* ?) are allowed only in the file name, such as /etc/cron.d/*'
);
