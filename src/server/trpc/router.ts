import { router, createCallerFactory } from './trpc';
import { usersRouter } from './routers/users';
import { rolesRouter } from './routers/roles';
import { groupsRouter } from './routers/groups';
import { grantsRouter } from './routers/grants';
import { auditRouter } from './routers/audit';
import { sessionsRouter } from './routers/sessions';
import { desktopRouter } from './routers/desktop';
import { systemRouter } from './routers/system';
import { cmdbRouter } from './routers/cmdb';
import { apiTokensRouter } from './routers/api-tokens';
import { agentsRouter } from './routers/agents';
import { metricsRouter } from './routers/metrics';
import { fleetRouter } from './routers/fleet';
import { tasksRouter } from './routers/tasks';
import { ocsRouter } from './routers/ocs';
import { inventoryRouter } from './routers/inventory';
import { accessLogsRouter } from './routers/access-logs';
import { accessLogRetentionRouter } from './routers/access-log-retention';
import { consolesRouter } from './routers/consoles';
import { logsRouter } from './routers/logs';
import { macrosRouter } from './routers/macros';

export const appRouter = router({
	users: usersRouter,
	roles: rolesRouter,
	groups: groupsRouter,
	grants: grantsRouter,
	audit: auditRouter,
	sessions: sessionsRouter,
	desktop: desktopRouter,
	system: systemRouter,
	cmdb: cmdbRouter,
	apiTokens: apiTokensRouter,
	agents: agentsRouter,
	metrics: metricsRouter,
	fleet: fleetRouter,
	tasks: tasksRouter,
	ocs: ocsRouter,
	inventory: inventoryRouter,
	accessLogs: accessLogsRouter,
	accessLogRetention: accessLogRetentionRouter,
	logs: logsRouter,
	consoles: consolesRouter,
	macros: macrosRouter
});

export type AppRouter = typeof appRouter;

/** A server-side caller, for tests and the CLI. */
export const createCaller = createCallerFactory(appRouter);
