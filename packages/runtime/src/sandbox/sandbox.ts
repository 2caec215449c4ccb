import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { RuntimeSandbox } from '@spin/protocol';
import { SpinError } from '../errors.js';
import {
  BWRAP,
  INSIDE_IPYTHON,
  INSIDE_KERNEL,
  INSIDE_WORK,
  bwrapArgs,
  readRootEntries,
  type BwrapBind,
  type RootEntry,
} from './bwrap.js';
import { giveToUser, makeSearchable, prepareUserModeHost } from './hostPermissions.js';
import {
  ENV,
  PRLIMIT,
  SETPRIV,
  UNSHARE,
  hasLimits,
  prlimitArgs,
  setprivArgs,
  type ProcessLimits,
  type SessionUser,
} from './launchers.js';
import { SessionUsers } from './sessionUsers.js';

/** What the operator asked for (`SPIN_SANDBOX`). */
export type SandboxSetting = 'auto' | 'bwrap' | 'user' | 'none';
/** What runs: `unavailable` refuses user code. */
export type SandboxMode = RuntimeSandbox['mode'];

export interface SandboxOptions {
  setting: SandboxSetting;
  home: string;
  /** Extra host paths user code must not see (server data dir, master key, …). */
  hide: readonly string[];
  network: 'on' | 'off';
  limits: ProcessLimits;
  uidBase?: number | undefined;
  /** bubblewrap's path (default {@link BWRAP}). */
  bwrapPath?: string;
  logger: Logger;
}

/** A session's directories on the host and the user its code runs as. */
export interface SessionSandbox {
  sid: string;
  workDir: string;
  ipythonDir: string;
  /** TMPDIR in user mode (bwrap has a private /tmp). */
  tmpDir: string;
  user: SessionUser | null;
}

/** How to start one kernel (see KernelClientOptions). */
export interface KernelLaunch {
  wrapCommand: (argv: string[]) => string[];
  /** Where the kernel's connection directory appears to the kernel. */
  kernelDirInside: string;
  env: Record<string, string>;
  /** Who must own the connection directory and file. */
  owner: SessionUser | null;
  /** bwrap kernels live in their own PID namespace: interrupt them by message. */
  interruptMode?: 'message';
}

const UNAVAILABLE_HELP =
  'install bubblewrap (apt-get install bubblewrap), or run the runtime as root so each ' +
  'session gets its own unprivileged user, or set SPIN_SANDBOX=none to run user code ' +
  'unsandboxed (it can then read SPIN_HOME: keys, tokens, every session)';

/** uid the start-up probe drops to (nobody): it owns nothing. */
const PROBE_USER: SessionUser = { uid: 65534, gid: 65534 };

function run(argv: string[], cwd: string): Promise<string | null> {
  return new Promise((done) => {
    execFile(argv[0]!, argv.slice(1), { cwd, timeout: 10_000 }, (err, _out, stderr) => {
      done(err ? String(stderr).trim().split('\n').pop() || err.message : null);
    });
  });
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * The isolation of user code (kernels and shell processes) from SPIN's own state
 * (DESIGN.md §5 `SPIN_SANDBOX`, issue 8 "Sandbox"):
 * - `bwrap`: bubblewrap — read-only system, private /tmp, /dev and /proc (own PID namespace),
 *   SPIN_HOME and every hidden path replaced by an empty tmpfs, the session's own work dir
 *   at `/spin/work`; as root additionally its own uid (setpriv), with no capabilities;
 * - `user` (no usable bubblewrap, runtime is root): each session's code runs as its own uid
 *   and Unix permissions keep SPIN_HOME, other sessions and hidden paths out of reach;
 * - `none`: the runtime's own user, no isolation (explicit opt-out, loudly warned);
 * - `unavailable`: `auto` found neither — kernels and shell cells are refused.
 * rlimits (memory, CPU time, processes) apply in every mode that runs code; network off in
 * `bwrap` and `user` (`none` isolates nothing, the network included).
 */
export class Sandbox {
  private readonly sessions = new Map<string, SessionSandbox>(); // by workDir
  private users: SessionUsers | null = null;
  private rootEntries: RootEntry[] = [];
  private readonly hide: string[];
  private readonly privileged = process.getuid?.() === 0;
  private status_: RuntimeSandbox = { mode: 'unavailable', ok: false };

  private constructor(private readonly opts: SandboxOptions) {
    this.hide = [...new Set([opts.home, ...opts.hide].map(real))];
  }

  /** Decide the mode (probing bubblewrap by really running it) and prepare the host. */
  static async create(opts: SandboxOptions): Promise<Sandbox> {
    const s = new Sandbox(opts);
    await s.resolveMode();
    return s;
  }

  /** Reported in `/v1/identity` and logged at start. */
  get status(): RuntimeSandbox {
    return this.status_;
  }

  get mode(): SandboxMode {
    return this.status_.mode;
  }

  private get limits(): ProcessLimits {
    return this.opts.limits;
  }

  private get bwrap(): string {
    return this.opts.bwrapPath ?? BWRAP;
  }

  private get network(): boolean {
    return this.opts.network === 'on';
  }

  private missingTools(mode: 'bwrap' | 'user'): string | null {
    const need = [
      ...(mode === 'bwrap' ? [this.bwrap] : []),
      ...(this.privileged ? [SETPRIV] : []),
      ...(hasLimits(this.limits) ? [PRLIMIT] : []),
      ...(mode === 'user' ? [ENV, ...(this.network ? [] : [UNSHARE])] : []),
    ];
    const missing = need.filter((p) => !existsSync(p));
    return missing.length > 0 ? `${missing.join(', ')} not found` : null;
  }

  /** Run `true` under the exact sandbox a session gets, and check it hides SPIN_HOME. */
  private async probeBwrap(): Promise<string | null> {
    const missing = this.missingTools('bwrap');
    if (missing) return missing;
    this.rootEntries = readRootEntries();
    const dir = join(this.opts.home, 'sandbox', 'probe');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const user = this.privileged ? PROBE_USER : null;
    if (user) giveToUser(dir, user);
    const check = `test ! -e '${join(real(this.opts.home), 'keys')}' && test -w ${INSIDE_WORK}`;
    const argv = [
      ...bwrapArgs(
        this.bwrapSpec([{ host: dir, inside: INSIDE_WORK }], {}),
        this.rootEntries,
        this.bwrap,
      ),
      ...(user ? setprivArgs(user) : []),
      ...prlimitArgs(this.limits),
      '/bin/sh',
      '-c',
      check,
    ];
    const err = await run(argv, dir);
    return err ? `bubblewrap failed: ${err}` : null;
  }

  private async probeUser(): Promise<string | null> {
    if (!this.privileged) return 'the runtime does not run as root';
    const missing = this.missingTools('user');
    if (missing) return missing;
    const err = await run([...this.userPrefix(PROBE_USER), '/bin/true'], '/');
    return err ? `cannot switch to an unprivileged user: ${err}` : null;
  }

  private async resolveMode(): Promise<void> {
    const { setting, logger } = this.opts;
    if (setting === 'none') {
      this.status_ = {
        mode: 'none',
        ok: false,
        warning:
          'SPIN_SANDBOX=none: Python and shell cells run as the runtime user and can read ' +
          'SPIN_HOME (keys, tokens, every session) — use only where every user is trusted',
      };
    } else {
      const bwrapError = setting === 'user' ? 'SPIN_SANDBOX=user' : await this.probeBwrap();
      if (!bwrapError) {
        this.status_ = { mode: 'bwrap', ok: true };
      } else {
        const userError = setting === 'bwrap' ? 'SPIN_SANDBOX=bwrap' : await this.probeUser();
        if (!userError) {
          this.status_ = {
            mode: 'user',
            ok: true,
            warning:
              `bubblewrap is not usable (${bwrapError}): each session's code runs as its own ` +
              'unprivileged user, but sees the host file system as that user may and shares ' +
              '/tmp — install it for a read-only system (apt-get install bubblewrap)',
          };
        } else {
          this.status_ = {
            mode: 'unavailable',
            ok: false,
            warning:
              `no sandbox is available (${setting === 'user' ? userError : bwrapError}` +
              `${setting === 'auto' ? `; ${userError}` : ''}): Python and shell cells are ` +
              `refused — ${UNAVAILABLE_HELP}`,
          };
        }
      }
    }
    if (this.status_.mode === 'user' || this.status_.mode === 'bwrap') {
      if (this.privileged) this.users = new SessionUsers(this.opts.home, this.opts.uidBase);
    }
    if (this.status_.mode === 'user') {
      const { opened } = prepareUserModeHost(real(this.opts.home), this.hide);
      for (const dir of opened) {
        logger.warn({ dir }, 'sandbox: made searchable (o+x) so session users reach SPIN_HOME');
      }
    }
    if (this.status_.mode === 'bwrap') logger.info({ sandbox: this.status_ }, 'sandbox ready');
    else logger.warn({ sandbox: this.status_ }, `sandbox: ${this.status_.warning ?? ''}`);
  }

  private refuse(): never {
    throw new SpinError(
      'runtime.sandbox_unavailable',
      `this runtime has no sandbox for user code: ${UNAVAILABLE_HELP}`,
    );
  }

  /**
   * Set up a session's directories for its mode (owner, 0700) and allocate its user. Called
   * when the session is created, and idempotent.
   */
  session(sid: string, workDir: string): SessionSandbox {
    const known = this.sessions.get(workDir);
    if (known) return known;
    const dir = resolve(workDir, '..');
    const s: SessionSandbox = {
      sid,
      workDir,
      ipythonDir: join(dir, 'ipython'),
      tmpDir: join(dir, 'tmp'),
      user: this.users?.forSession(sid) ?? null,
    };
    mkdirSync(s.ipythonDir, { recursive: true, mode: 0o700 });
    if (s.user) {
      if (this.mode === 'user') {
        makeSearchable(resolve(dir, '..'));
        makeSearchable(dir);
        giveToUser(s.tmpDir, s.user);
      }
      giveToUser(workDir, s.user);
      giveToUser(s.ipythonDir, s.user);
    }
    this.sessions.set(workDir, s);
    return s;
  }

  /**
   * Give the sandbox prepared under a placeholder sid (a pre-started kernel's, see
   * kernels/kernelPool.ts) to the new session `sid`: same directories, same fresh uid.
   */
  adopt(workDir: string, sid: string): SessionSandbox {
    const s = this.sessions.get(workDir);
    if (!s) throw new Error(`no sandbox was prepared for ${workDir}`);
    if (s.user) this.users!.transfer(s.sid, sid);
    s.sid = sid;
    return s;
  }

  /** Forget a placeholder's sandbox whose directories were removed (an unused pool slot). */
  forget(workDir: string): void {
    this.sessions.delete(workDir);
  }

  /** A session's work dir as its user code sees it (bubblewrap mounts it at `/spin/work`). */
  workDirSeenByUserCode(hostWorkDir: string): string {
    return this.mode === 'bwrap' ? INSIDE_WORK : hostWorkDir;
  }

  private bwrapSpec(binds: BwrapBind[], setenv: Record<string, string>) {
    return {
      hide: this.hide,
      binds,
      chdir: INSIDE_WORK,
      setenv: { HOME: INSIDE_WORK, TMPDIR: '/tmp', ...setenv },
      network: this.network,
      privileged: this.privileged,
    };
  }

  /** `[unshare --net --] setpriv … --` for user mode. */
  private userPrefix(user: SessionUser): string[] {
    return [...(this.network ? [] : [UNSHARE, '--net', '--']), ...setprivArgs(user)];
  }

  /** How to launch a kernel of `session` whose connection directory is `kernelDir`. */
  kernelLaunch(session: SessionSandbox, kernelDir: string): KernelLaunch {
    const limits = prlimitArgs(this.limits);
    const user = session.user;
    switch (this.mode) {
      case 'unavailable':
        return this.refuse();
      case 'none':
        return {
          wrapCommand: (argv) => [...limits, ...argv],
          kernelDirInside: kernelDir,
          env: { IPYTHONDIR: session.ipythonDir },
          owner: null,
        };
      case 'user':
        return {
          wrapCommand: (argv) => [...this.userPrefix(user!), ...limits, ...argv],
          kernelDirInside: kernelDir,
          env: { HOME: session.workDir, TMPDIR: session.tmpDir, IPYTHONDIR: session.ipythonDir },
          owner: user,
        };
      case 'bwrap': {
        const env = { IPYTHONDIR: INSIDE_IPYTHON };
        const prefix = bwrapArgs(
          this.bwrapSpec(
            [
              { host: session.workDir, inside: INSIDE_WORK },
              { host: session.ipythonDir, inside: INSIDE_IPYTHON },
              { host: kernelDir, inside: INSIDE_KERNEL },
            ],
            env,
          ),
          this.rootEntries,
          this.bwrap,
        );
        return {
          wrapCommand: (argv) => [
            ...prefix,
            ...(user ? setprivArgs(user) : []),
            ...limits,
            ...argv,
          ],
          kernelDirInside: INSIDE_KERNEL,
          env: { HOME: INSIDE_WORK, TMPDIR: '/tmp', ...env },
          owner: user,
          interruptMode: 'message',
        };
      }
    }
  }

  /**
   * Create a kernel's connection directory: owned by the session user (0700), reachable by
   * it in user mode. Its connection file is given to the same user ({@link giveFileToUser}).
   */
  prepareKernelDir(dir: string, session: SessionSandbox): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const parent = resolve(dir, '..');
    if (this.mode === 'user' && parent === join(this.opts.home, 'kernels')) makeSearchable(parent);
    if (session.user) giveToUser(dir, session.user);
  }

  /** True when user code runs in its own namespaces or as its own uid. */
  get isolated(): boolean {
    return this.mode === 'bwrap' || this.mode === 'user';
  }

  /**
   * Wrap a processor's command line (shell cells) for the session whose work dir is `cwd`;
   * the process is spawned with `cwd` as its host working directory.
   */
  wrapProcess(argv: string[], cwd: string): string[] {
    const session = this.sessions.get(cwd);
    if (this.mode === 'unavailable') this.refuse();
    if (!session) throw new Error(`no sandboxed session owns ${cwd}`);
    const limits = prlimitArgs(this.limits);
    const user = session.user;
    switch (this.mode) {
      case 'none':
        return [...limits, ...argv];
      case 'user':
        return [
          ...this.userPrefix(user!),
          ENV,
          `HOME=${session.workDir}`,
          `TMPDIR=${session.tmpDir}`,
          ...limits,
          ...argv,
        ];
      case 'bwrap':
        return [
          ...bwrapArgs(
            this.bwrapSpec([{ host: session.workDir, inside: INSIDE_WORK }], {}),
            this.rootEntries,
            this.bwrap,
          ),
          ...(user ? setprivArgs(user) : []),
          ...limits,
          ...argv,
        ];
    }
  }
}
