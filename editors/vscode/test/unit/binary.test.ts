import * as assert from 'node:assert/strict';
import { test } from 'node:test';

import { BinaryNotFoundError, findSafels, INSTALL_COMMAND } from '../../src/binary';

/** An isExecutable that knows only the given files. */
function only(...files: string[]): (f: string) => boolean {
    const set = new Set(files);
    return f => set.has(f);
}

const posix = { platform: 'linux' as const, homedir: '/home/u' };

test('the setting wins over PATH', () => {
    const got = findSafels({
        ...posix,
        setting: '/opt/safels/bin/safels',
        env: { PATH: '/usr/bin' },
        isExecutable: only('/opt/safels/bin/safels', '/usr/bin/safels'),
    });
    assert.equal(got, '/opt/safels/bin/safels');
});

test('a setting that is not executable is an error naming the setting, without falling back', () => {
    assert.throws(
        () =>
            findSafels({
                ...posix,
                setting: '/nowhere/safels',
                env: { PATH: '/usr/bin' },
                isExecutable: only('/usr/bin/safels'),
            }),
        (e: unknown) => {
            assert.ok(e instanceof BinaryNotFoundError);
            assert.match(e.message, /safels\.path/);
            assert.match(e.message, /\/nowhere\/safels/);
            assert.ok(e.message.includes(INSTALL_COMMAND));
            assert.equal(e.fromSetting, true);
            return true;
        },
    );
});

test('a setting with ~ is under the home directory; a relative one under the workspace', () => {
    assert.equal(
        findSafels({ ...posix, setting: '~/go/bin/safels', env: {}, isExecutable: only('/home/u/go/bin/safels') }),
        '/home/u/go/bin/safels',
    );
    assert.equal(
        findSafels({ ...posix, setting: './bin/safels', cwd: '/work/proj', env: {}, isExecutable: only('/work/proj/bin/safels') }),
        '/work/proj/bin/safels',
    );
});

test('a setting that is a bare name is looked up on PATH', () => {
    assert.equal(
        findSafels({ ...posix, setting: 'safels-dev', env: { PATH: '/a:/b' }, isExecutable: only('/b/safels-dev') }),
        '/b/safels-dev',
    );
});

test('PATH is searched in order; empty and relative entries are skipped', () => {
    const got = findSafels({
        ...posix,
        env: { PATH: ':bin:/usr/local/bin:/usr/bin' },
        isExecutable: only('bin/safels', '/usr/local/bin/safels', '/usr/bin/safels'),
    });
    assert.equal(got, '/usr/local/bin/safels');
});

test('an empty setting means PATH', () => {
    assert.equal(
        findSafels({ ...posix, setting: '  ', env: { PATH: '/usr/bin' }, isExecutable: only('/usr/bin/safels') }),
        '/usr/bin/safels',
    );
});

test('after PATH: $GOBIN, then each $GOPATH/bin, then ~/go/bin', () => {
    assert.equal(
        findSafels({ ...posix, env: { PATH: '/usr/bin', GOBIN: '/gobin' }, isExecutable: only('/gobin/safels', '/home/u/go/bin/safels') }),
        '/gobin/safels',
    );
    assert.equal(
        findSafels({ ...posix, env: { PATH: '/usr/bin', GOPATH: '/g1:/g2' }, isExecutable: only('/g2/bin/safels') }),
        '/g2/bin/safels',
    );
    assert.equal(
        findSafels({ ...posix, env: { PATH: '/usr/bin' }, isExecutable: only('/home/u/go/bin/safels') }),
        '/home/u/go/bin/safels',
    );
});

test('missing: an error with the install command and what was searched', () => {
    assert.throws(
        () => findSafels({ ...posix, env: { PATH: '/usr/bin:/bin' }, isExecutable: only() }),
        (e: unknown) => {
            assert.ok(e instanceof BinaryNotFoundError);
            assert.ok(e.message.includes('go install github.com/safels/safels/cmd/safels@latest'), e.message);
            assert.match(e.message, /not found on PATH/);
            assert.equal(e.fromSetting, false);
            assert.deepEqual(e.searched, ['/usr/bin/safels', '/bin/safels', '/home/u/go/bin/safels']);
            return true;
        },
    );
});

test('Windows: Path in any case, PATHEXT, ; as separator', () => {
    const got = findSafels({
        platform: 'win32',
        homedir: 'C:\\Users\\u',
        env: { Path: 'C:\\tools;C:\\go\\bin', PATHEXT: '.COM;.EXE' },
        isExecutable: only('C:\\go\\bin\\safels.exe'),
    });
    assert.equal(got, 'C:\\go\\bin\\safels.exe');
});

test('the real file system: an executable on PATH is found, a plain file is not', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    if (process.platform === 'win32') {
        return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safels-lookup-'));
    try {
        const plain = path.join(dir, 'plain');
        const exe = path.join(dir, 'exe');
        fs.mkdirSync(plain);
        fs.mkdirSync(exe);
        fs.writeFileSync(path.join(plain, 'safels'), '');
        fs.writeFileSync(path.join(exe, 'safels'), '#!/bin/sh\n', { mode: 0o755 });
        assert.equal(findSafels({ env: { PATH: `${plain}:${exe}` }, homedir: dir }), path.join(exe, 'safels'));
        assert.throws(() => findSafels({ env: { PATH: plain }, homedir: dir }), BinaryNotFoundError);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
