// Finding the safels binary: the setting safels.path wins; otherwise PATH,
// then where `go install` puts binaries ($GOBIN, each $GOPATH/bin, ~/go/bin),
// since VS Code started from a desktop often lacks the user's shell PATH.
//
// No vscode import here: the lookup is a pure function of its inputs, so
// it can be tested without an editor.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const INSTALL_COMMAND = 'go install github.com/safels/safels/cmd/safels@latest';

export interface LookupOptions {
    /** The value of the setting safels.path ("" or undefined when unset). */
    setting?: string;
    /** Environment to read PATH, PATHEXT, GOBIN, GOPATH from (default process.env). */
    env?: NodeJS.ProcessEnv;
    /** Platform whose rules apply (default process.platform). */
    platform?: NodeJS.Platform;
    /** Home directory, for "~" in the setting and ~/go/bin (default os.homedir()). */
    homedir?: string;
    /** Directory against which a relative safels.path is resolved (the workspace folder). */
    cwd?: string;
    /** Whether a path names an executable file (default: a stat/access check). */
    isExecutable?: (file: string) => boolean;
}

/** The binary could not be found; the message says what was tried and how to install it. */
export class BinaryNotFoundError extends Error {
    constructor(message: string, readonly searched: string[], readonly fromSetting: boolean) {
        super(message);
        this.name = 'BinaryNotFoundError';
    }
}

export function defaultIsExecutable(file: string): boolean {
    try {
        if (!fs.statSync(file).isFile()) {
            return false;
        }
        if (process.platform !== 'win32') {
            fs.accessSync(file, fs.constants.X_OK);
        }
        return true;
    } catch {
        return false;
    }
}

/** Reads an environment variable the way the platform does (case-insensitive on Windows). */
function getenv(env: NodeJS.ProcessEnv, name: string, platform: NodeJS.Platform): string | undefined {
    if (platform !== 'win32') {
        return env[name];
    }
    const key = Object.keys(env).find(k => k.toUpperCase() === name.toUpperCase());
    return key === undefined ? undefined : env[key];
}

/** Candidate file names for a command: on Windows, each PATHEXT extension too. */
function candidates(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
    if (platform !== 'win32') {
        return [name];
    }
    const exts = (getenv(env, 'PATHEXT', platform) || '.COM;.EXE;.BAT;.CMD').split(';').filter(e => e !== '');
    if (exts.some(e => name.toLowerCase().endsWith(e.toLowerCase()))) {
        return [name];
    }
    return [name, ...exts.map(e => name + e.toLowerCase())];
}

/**
 * Returns the absolute path of the safels binary, or throws a
 * BinaryNotFoundError whose message includes the install command.
 */
export function findSafels(opts: LookupOptions = {}): string {
    const env = opts.env ?? process.env;
    const platform = opts.platform ?? process.platform;
    const p = platform === 'win32' ? path.win32 : path.posix;
    const home = opts.homedir ?? os.homedir();
    const isExecutable = opts.isExecutable ?? defaultIsExecutable;
    const searched: string[] = [];

    const tryFile = (file: string): string | undefined => {
        for (const c of candidates(file, env, platform)) {
            searched.push(c);
            if (isExecutable(c)) {
                return c;
            }
        }
        return undefined;
    };

    const setting = (opts.setting ?? '').trim();
    if (setting !== '') {
        let file = setting;
        if (file === '~' || file.startsWith('~/') || (platform === 'win32' && file.startsWith('~\\'))) {
            file = p.join(home, file.slice(1));
        }
        const hasSeparator = file.includes('/') || (platform === 'win32' && file.includes('\\'));
        if (hasSeparator || p.isAbsolute(file)) {
            if (!p.isAbsolute(file) && opts.cwd) {
                file = p.resolve(opts.cwd, file);
            }
            const found = tryFile(file);
            if (found) {
                return found;
            }
            throw new BinaryNotFoundError(
                `safels.path is set to "${setting}", which is not an executable file. ` +
                    `Fix the setting, or clear it and install safels with: ${INSTALL_COMMAND}`,
                searched,
                true,
            );
        }
        // A bare command name: look it up like a shell would.
        const found = searchPath(file);
        if (found) {
            return found;
        }
        throw new BinaryNotFoundError(
            `safels.path is set to "${setting}", which was not found on PATH. ` +
                `Fix the setting, or install safels with: ${INSTALL_COMMAND}`,
            searched,
            true,
        );
    }

    const found = searchPath('safels') ?? searchGo('safels');
    if (found) {
        return found;
    }
    throw new BinaryNotFoundError(
        `The safels language server was not found on PATH or in the Go bin directories. ` +
            `Install it with: ${INSTALL_COMMAND} (or set safels.path to the binary).`,
        searched,
        false,
    );

    function searchPath(name: string): string | undefined {
        const dirs = (getenv(env, 'PATH', platform) ?? '').split(p.delimiter).filter(d => d !== '');
        for (const dir of dirs) {
            if (!p.isAbsolute(dir)) {
                continue; // a relative PATH entry would depend on our working directory
            }
            const f = tryFile(p.join(dir, name));
            if (f) {
                return f;
            }
        }
        return undefined;
    }

    function searchGo(name: string): string | undefined {
        const dirs: string[] = [];
        const gobin = getenv(env, 'GOBIN', platform);
        if (gobin) {
            dirs.push(gobin);
        }
        const gopath = getenv(env, 'GOPATH', platform);
        for (const dir of (gopath || p.join(home, 'go')).split(p.delimiter)) {
            if (dir !== '') {
                dirs.push(p.join(dir, 'bin'));
            }
        }
        for (const dir of dirs) {
            if (!p.isAbsolute(dir) || searched.some(s => p.dirname(s) === dir)) {
                continue;
            }
            const f = tryFile(p.join(dir, name));
            if (f) {
                return f;
            }
        }
        return undefined;
    }
}
