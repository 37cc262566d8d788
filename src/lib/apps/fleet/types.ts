import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '$server/trpc/router';

type Out = inferRouterOutputs<AppRouter>;

/** Shapes as they arrive over tRPC (dates are ISO strings: there is no transformer). */
export type FleetDevice = Out['fleet']['devices'][number];
export type Gateway = Out['fleet']['gateway'];
export type AgentDetail = Out['agents']['get'];
export type AgentEventRow = Out['agents']['events'][number];
export type JoinTokenRow = Out['agents']['tokens']['list'][number];
export type CreatedJoinToken = Out['agents']['tokens']['create'];
export type GroupRow = Out['groups']['list'][number];
export type Me = Out['desktop']['me'];
export type TaskSummary = Out['tasks']['list'][number];
export type TaskDetail = Out['tasks']['get'];
export type RunManyResult = Out['tasks']['runMany'];
