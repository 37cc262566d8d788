import type { Component } from 'svelte';

/** Props of the charts and reports in ./metrics/ (written with the metrics module). */
export interface MetricsProps {
	DeviceCharts: { deviceId: number };
	TopView: { deviceIds: number[] };
	IdleServers: Record<string, never>;
}
export type MetricsName = keyof MetricsProps;

type Loader<P extends Record<string, unknown>> = () => Promise<{ default: Component<P> }>;

// A glob rather than static imports: the Fleet app builds and runs before (or without) the metrics parts.
const found = import.meta.glob('./metrics/*.svelte');

/** The lazy import of a metrics component, or undefined when this build has none. */
export function metricsComponent<N extends MetricsName>(name: N): Loader<MetricsProps[N]> | undefined {
	return found[`./metrics/${name}.svelte`] as Loader<MetricsProps[N]> | undefined;
}
