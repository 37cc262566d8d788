/**
 * The log viewer's contracts (files on agent hosts, the journal, pattern rules, the changed-file watch), shared
 * by browser, server and agent. See docs/logs.md.
 *
 *  1. the signed task kinds: `logs-open` opens a read session on one file (or the journal) for a limited time;
 *     `logs-config` hands an agent the pattern rules and watch list of its device groups;
 *  2. the link events between server and agent (merged into protocol/agent.ts), and the report kinds by which
 *     matches and file changes reach the server once, even across link drops;
 *  3. the shapes the `logs` tRPC router returns, and the /desktop events (merged into protocol/desktop.ts).
 *
 * Lines are text. The browser renders them as text, never as HTML.
 *
 * This module gathers them; each concern has its own file: logs-base.ts (limits, severities, paths),
 * logs-read.ts (sources, positions, lines, cursors, filters), logs-link.ts (1 and 2) and logs-views.ts (3).
 */
export { checkRegex, compileRegex, REGEX_MAX_LENGTH, type RegexCheck } from '../logs/regex';
export {
	DEFAULT_WATCHED_FILES,
	LOG_MAX_CONTEXT,
	LOG_MAX_FILTER_ROWS,
	LOG_MAX_LINE_CHARS,
	LOG_MAX_LINES,
	LOG_MAX_PATTERNS,
	LOG_MAX_WAIT_MS,
	LOG_SEVERITIES,
	type LogSeverity,
	watchPathSchema
} from './logs-base';
export * from './logs-read';
export * from './logs-link';
export * from './logs-views';
