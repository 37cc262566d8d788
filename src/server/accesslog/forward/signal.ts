// Stopping long-running loops without waiting out their sleeps.

/** A stop flag whose sleeps end early when it is set. */
export class Signal {
	stopped = false;
	private wake = new Set<() => void>();

	stop(): void {
		this.stopped = true;
		for (const w of this.wake) w();
	}

	sleep(ms: number): Promise<void> {
		if (this.stopped) return Promise.resolve();
		return new Promise((resolve) => {
			const done = () => {
				clearTimeout(t);
				this.wake.delete(done);
				resolve();
			};
			const t = setTimeout(done, ms);
			this.wake.add(done);
		});
	}
}
