import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '$server/trpc/router';

type Out = inferRouterOutputs<AppRouter>;

/** Row shapes as they arrive over tRPC (dates are ISO strings: there is no transformer). */
export type Me = Out['desktop']['me'];
export type UserRow = Out['users']['list'][number];
export type RoleRow = Out['roles']['list'][number];
export type GroupRow = Out['groups']['list'][number];
export type DeviceRow = Out['groups']['devices'][number];
export type GrantRow = Out['grants']['list'][number];
export type AuditRow = Out['audit']['list'][number];
export type SessionRow = Out['sessions']['list'][number];

/** The role permission meaning every action on every device (the server's SUPERUSER). */
export const FULL_ACCESS = '*';
