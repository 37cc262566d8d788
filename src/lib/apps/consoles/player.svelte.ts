import { countUpTo, outputBetween, type ReplayRecord } from './timeline';

/** Where the player draws: a read-only xterm. */
export interface ReplayScreen {
	reset(): void;
	write(data: Uint8Array): void;
}

export const SPEEDS = [1, 2, 4, 8, 16] as const;
/** With "skip idle" on, a pause longer than this plays as this long. */
export const IDLE_CAP_MS = 2000;

/**
 * Plays records on their own clock: `position` is ms since the first record. Seeking forward draws what lies
 * between; seeking back clears the screen and draws everything up to the new point at once.
 */
export class Player {
	records: ReplayRecord[] = $state.raw([]);
	position = $state(0);
	playing = $state(false);
	speed = $state<number>(1);
	skipIdle = $state(true);

	#screen: ReplayScreen | null = null;
	/** How many records have been drawn. */
	#drawn = 0;
	#frame = 0;
	#last = 0;

	get start(): number {
		return this.records[0]?.at ?? 0;
	}

	get duration(): number {
		return this.records.length ? this.records[this.records.length - 1].at - this.start : 0;
	}

	attach(screen: ReplayScreen): void {
		this.#screen = screen;
		this.#drawn = 0;
		this.seek(this.position);
	}

	/** Replace the records (a load finished); keeps the position. */
	load(records: ReplayRecord[]): void {
		this.records = records;
		this.#drawn = 0;
		this.#screen?.reset();
		this.seek(Math.min(this.position, this.duration));
	}

	seek(offset: number): void {
		const pos = Math.max(0, Math.min(offset, this.duration));
		const n = countUpTo(this.records, this.start + pos);
		if (this.#screen) {
			if (n < this.#drawn) {
				this.#screen.reset();
				this.#drawn = 0;
			}
			if (n > this.#drawn) this.#screen.write(outputBetween(this.records, this.#drawn, n));
		}
		this.#drawn = n;
		this.position = pos;
	}

	seekTo(epochMs: number): void {
		this.seek(epochMs - this.start);
	}

	play(): void {
		if (!this.records.length) return;
		if (this.position >= this.duration) this.seek(0);
		this.playing = true;
		this.#last = performance.now();
		cancelAnimationFrame(this.#frame);
		this.#frame = requestAnimationFrame(this.#tick);
	}

	pause(): void {
		this.playing = false;
		cancelAnimationFrame(this.#frame);
	}

	toggle(): void {
		if (this.playing) this.pause();
		else this.play();
	}

	#tick = (now: number) => {
		if (!this.playing) return;
		let next = this.position + (now - this.#last) * this.speed;
		this.#last = now;
		const upcoming = this.records[this.#drawn];
		if (this.skipIdle && upcoming) {
			// A long silence plays as IDLE_CAP_MS, so a night of nothing does not stall the replay.
			const due = upcoming.at - this.start;
			if (due - this.position > IDLE_CAP_MS && next > this.position) next = Math.max(next, due - IDLE_CAP_MS);
		}
		if (next >= this.duration) {
			this.seek(this.duration);
			this.pause();
			return;
		}
		this.seek(next);
		this.#frame = requestAnimationFrame(this.#tick);
	};

	destroy(): void {
		this.pause();
		this.#screen = null;
	}
}
