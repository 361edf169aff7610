// Types of the tapedeck test helper (index.js).

/** Options of `startReplay`. */
export interface ReplayOptions {
  /** Fixture files, directories or `embedded:<set>` names to serve (default: the embedded reference set). */
  fixtures?: string | string[];
  /** `stop()` rejects with `TapedeckContractError` when any request of the run matched no fixture or broke the contract. */
  strict?: boolean;
  /** What to serve once a sequence is used up (default: the set's `tapedeck-set.json`, else `repeat-last`). */
  sequenceEnd?: "repeat-last" | "error";
  /**
   * The record mode (default: `TAPEDECK_MODE`, else `none`): `none` replays only; `once` records the fixture set
   * when it is missing or empty, else replays it; `new-episodes` forwards to `upstream` and records what no fixture
   * matches, and serves it from then on; `all` forwards and re-records everything. The recording modes write into
   * the one `fixtures` directory. When `CI` is set, a run that would record is refused unless `args` has
   * `--allow-record-in-ci`.
   */
  mode?: "none" | "once" | "new-episodes" | "all";
  /** The endpoint the recording modes forward to: an emulator's URL, or `https://cognito-idp.<region>.amazonaws.com`. */
  upstream?: string;
  /** `AKID:SECRET`: also recompute each request's SigV4 signature. Passed in the environment, never on the command line. */
  verifySignature?: string;
  /** The tapedeck executable (default: `TAPEDECK_BIN`, else the platform package's binary). */
  bin?: string;
  /** More `tapedeck replay` options. */
  args?: string[];
  /** How long to wait for the server to listen (default 30 000). */
  startupTimeoutMs?: number;
  /** Extra environment variables for the server process. */
  env?: Record<string, string>;
}

/** One differing field of a near miss: a JSON pointer into the body, or `(method)`, `(path)`, `x-amz-target`, `(body)`. */
export interface FieldDiff {
  field: string;
  /** The fixture's value; absent when the fixture lacks the field. */
  expected?: unknown;
  /** The request's value; absent when the request lacks the field. */
  got?: unknown;
}

export interface NearMiss {
  fixture: string;
  target_matches: boolean;
  differences: number;
  diff: FieldDiff[];
}

export interface Violation {
  /** Stable rule id, e.g. `awsjson/content-type`, `model/validation`, `sigv4/scope`. */
  rule: string;
  message: string;
}

export type Outcome =
  | { outcome: "matched"; fixture: string; position: number; of: number }
  | { outcome: "forwarded"; detail: string }
  | { outcome: "unmatched"; near_misses: NearMiss[] }
  | { outcome: "exhausted"; last: string; of: number }
  | { outcome: "rejected"; kind: string; message: string };

export type JournalEntry = {
  /** Its number in the journal window: since the start or the last reset. */
  n: number;
  /** Its number in the run: since the server started; never reset. */
  run_n: number;
  at: string;
  method: string;
  path: string;
  target: string | null;
  status: number;
  violations: Violation[];
} & Outcome;

export interface Totals {
  requests: number;
  matched: number;
  unmatched: number;
  with_violations: number;
  /** The window's: entries that fell out of it. The report's: requests of the run it does not list. */
  dropped: number;
}

/** The journal window: the requests since the last reset. */
export interface Journal {
  totals: Totals;
  /** The whole run's counters, which no reset clears (`dropped` is 0). */
  run: Totals;
  entries: JournalEntry[];
}

/** The JSON report the server writes when it stops: the whole run, whatever was reset. */
export interface Report {
  tool: string;
  fixtures: number;
  /** True when every request of the run matched and none broke the contract. */
  clean: boolean;
  totals: Totals;
  /** How many times the journal window was reset. */
  resets: number;
  /** Every request of the run that was not clean, and the clean ones the window still holds. */
  entries: JournalEntry[];
}

/** The journal as tapedeck renders it for a person. */
export interface Readable {
  /** Requests that matched no fixture or broke the contract (0: all clean). */
  problems: number;
  text: string;
}

/** A running `tapedeck replay`. */
export interface ReplayServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  readonly pid: number;
  /** `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`, and dummy credentials and region where the environment has none: `Object.assign(process.env, server.env)`. */
  readonly env: Readonly<Record<string, string>>;
  /** Every request since the last reset. */
  journal(): Promise<Journal>;
  /** Rewinds the sequences and starts a new journal window. */
  reset(): Promise<void>;
  /** The requests since the last reset as tapedeck's readable report. */
  readable(): Promise<Readable>;
  /** Rejects with `TapedeckContractError` (the readable report: near misses with field diffs, violations) if any request since the last reset matched no fixture or broke the contract. */
  assertClean(): Promise<void>;
  /** Stops the server with SIGTERM and resolves to its report (the whole run: with `strict`, rejects if any request of the run was not clean, even one a reset cleared from the window). */
  stop(): Promise<Report>;
  /** What the server has logged (the last 64 KiB of its stderr). */
  log(): string;
}

/** Starts `tapedeck replay` on 127.0.0.1 at a port it picks; resolves once it answers. */
export declare function startReplay(options?: ReplayOptions): Promise<ReplayServer>;

/** The tapedeck executable to run; throws `BinaryNotFound` saying what to do. */
export declare function findBinary(explicit?: string): string;

export declare class TapedeckContractError extends Error {
  readonly name: "TapedeckContractError";
  /** How many requests matched no fixture or broke the contract. */
  readonly problems: number;
}

export declare class BinaryNotFound extends Error {
  readonly name: "BinaryNotFound";
}
