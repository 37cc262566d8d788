import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '$server/trpc/router';

type Out = inferRouterOutputs<AppRouter>;
export type Forwarder = Out['accessLogs']['forwarders']['list'][number];
export type ForwarderKind = Forwarder['kind'];
export type ForwarderState = Forwarder['state'];
export type Retention = Out['accessLogRetention']['get'];
